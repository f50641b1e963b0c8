/* ext2 name-space operations: create, mkdir, symlink, link, unlink,
 * rmdir, rename, with POSIX's errors (the VFS checks permissions and
 * "."/".." before calling; these check what only the file system knows:
 * existence, types, emptiness, link limits, loops).
 *
 * Link counts: a directory has 2 + one per subdirectory (their ".."). A
 * failed step after an inode was allocated drops its link count to 0 so
 * that the final iput frees it: nothing half-made is left behind. */
#include <skiff/errno.h>
#include <skiff/printk.h>
#include <skiff/string.h>
#include "ext2.h"


static int check_parent(struct ext2_inode_info *dir, const char *name, size_t len)
{
	u32 ino;
	if (dir->fs->read_only)
		return -EROFS;
	if (!EXT2_ISDIR(dir->raw.i_mode))
		return -ENOTDIR;
	if (dir->raw.i_links_count == 0)
		return -ENOENT; /* directory was removed */
	int err = ext2_dir_find(dir, name, len, &ino);
	if (err == 0)
		return -EEXIST;
	return err == -ENOENT ? 0 : err;
}

/* Make an inode of mode and link it as name in dir; the new inode is
 * returned referenced. */
static struct ext2_inode_info *make(struct ext2_inode_info *dir, const char *name, size_t len, u32 mode,
				    u32 uid, u32 gid, int *err)
{
	*err = check_parent(dir, name, len);
	if (*err)
		return NULL;
	if (EXT2_ISDIR(mode) && dir->raw.i_links_count >= EXT2_LINK_MAX) {
		*err = -EMLINK;
		return NULL;
	}
	return ext2_new_inode(dir->fs, dir->ino, mode, uid, gid, err);
}

int ext2_create(struct ext2_inode_info *dir, const char *name, size_t len, u32 mode, u32 uid,
		u32 gid, u64 rdev, u32 *ino)
{
	struct ext2_fs *fs = dir->fs;
	int err;

	switch (mode & EXT2_S_IFMT) {
	case EXT2_S_IFREG: case EXT2_S_IFCHR: case EXT2_S_IFBLK: case EXT2_S_IFIFO: case EXT2_S_IFSOCK:
		break;
	default:
		return -EINVAL;
	}
	fs_mutex_lock(&fs->lock);
	struct ext2_inode_info *ei = make(dir, name, len, mode, uid, gid, &err);
	if (!ei)
		goto out;
	ei->raw.i_links_count = 1;
	if ((mode & EXT2_S_IFMT) == EXT2_S_IFCHR || (mode & EXT2_S_IFMT) == EXT2_S_IFBLK)
		ext2_set_rdev(ei, rdev);
	err = ext2_write_inode(ei);
	if (!err)
		err = ext2_dir_add(dir, name, len, ei->ino, mode);
	if (err)
		ei->raw.i_links_count = 0;
	else
		*ino = ei->ino;
	ext2_iput_locked(ei);
out:
	fs_mutex_unlock(&fs->lock);
	return err;
}

int ext2_mkdir(struct ext2_inode_info *dir, const char *name, size_t len, u32 mode, u32 uid,
	       u32 gid, u32 *ino)
{
	struct ext2_fs *fs = dir->fs;
	int err;

	fs_mutex_lock(&fs->lock);
	mode = EXT2_S_IFDIR | (mode & 07777);
	struct ext2_inode_info *ei = make(dir, name, len, mode, uid, gid, &err);
	if (!ei)
		goto out;
	ei->raw.i_links_count = 2;
	err = ext2_dir_init(ei, dir->ino);
	if (!err)
		err = ext2_dir_add(dir, name, len, ei->ino, mode);
	if (err) {
		ei->raw.i_links_count = 0;
	} else {
		dir->raw.i_links_count++;
		ext2_write_inode(dir);
		*ino = ei->ino;
	}
	ext2_iput_locked(ei);
out:
	fs_mutex_unlock(&fs->lock);
	return err;
}

int ext2_symlink(struct ext2_inode_info *dir, const char *name, size_t len, const char *target,
		 u32 uid, u32 gid, u32 *ino)
{
	struct ext2_fs *fs = dir->fs;
	size_t tlen = strnlen(target, fs->block_size);
	int err;

	if (tlen == 0)
		return -ENOENT;
	if (tlen >= fs->block_size || tlen >= 4096)
		return -ENAMETOOLONG;
	fs_mutex_lock(&fs->lock);
	struct ext2_inode_info *ei = make(dir, name, len, EXT2_S_IFLNK | 0777, uid, gid, &err);
	if (!ei)
		goto out;
	ei->raw.i_links_count = 1;
	if (tlen < sizeof(ei->raw.i_block)) {
		memcpy(ei->raw.i_block, target, tlen);
		ext2_set_size(ei, tlen);
		err = ext2_write_inode(ei);
	} else {
		long w = ext2_write_locked(ei, 0, target, tlen);
		err = w < 0 ? (int)w : (size_t)w != tlen ? -ENOSPC : 0;
	}
	if (!err)
		err = ext2_dir_add(dir, name, len, ei->ino, EXT2_S_IFLNK);
	if (err)
		ei->raw.i_links_count = 0;
	else
		*ino = ei->ino;
	ext2_iput_locked(ei);
out:
	fs_mutex_unlock(&fs->lock);
	return err;
}

int ext2_link(struct ext2_inode_info *dir, const char *name, size_t len, struct ext2_inode_info *ei)
{
	struct ext2_fs *fs = dir->fs;
	int err;

	fs_mutex_lock(&fs->lock);
	err = check_parent(dir, name, len);
	if (err)
		goto out;
	if (EXT2_ISDIR(ei->raw.i_mode)) {
		err = -EPERM;
		goto out;
	}
	if (ei->raw.i_links_count >= EXT2_LINK_MAX) {
		err = -EMLINK;
		goto out;
	}
	if (ei->raw.i_links_count == 0) {
		err = -ENOENT;
		goto out;
	}
	err = ext2_dir_add(dir, name, len, ei->ino, ei->raw.i_mode);
	if (err)
		goto out;
	ei->raw.i_links_count++;
	ext2_touch(ei, false, true);
	err = ext2_write_inode(ei);
out:
	fs_mutex_unlock(&fs->lock);
	return err;
}

/* Look name up in dir and get its inode. */
static struct ext2_inode_info *get_child(struct ext2_inode_info *dir, const char *name, size_t len, int *err)
{
	u32 ino;
	*err = ext2_dir_find(dir, name, len, &ino);
	if (*err)
		return NULL;
	return ext2_iget_locked(dir->fs, ino, err);
}

static void drop_link(struct ext2_inode_info *ei)
{
	if (ei->raw.i_links_count)
		ei->raw.i_links_count--;
	ext2_touch(ei, false, true);
	ext2_write_inode(ei);
}

int ext2_unlink(struct ext2_inode_info *dir, const char *name, size_t len)
{
	struct ext2_fs *fs = dir->fs;
	int err;

	fs_mutex_lock(&fs->lock);
	if (fs->read_only) {
		err = -EROFS;
		goto out;
	}
	struct ext2_inode_info *ei = get_child(dir, name, len, &err);
	if (!ei)
		goto out;
	if (EXT2_ISDIR(ei->raw.i_mode)) {
		err = -EISDIR;
	} else {
		err = ext2_dir_remove(dir, name, len);
		if (!err)
			drop_link(ei);
	}
	ext2_iput_locked(ei);
out:
	fs_mutex_unlock(&fs->lock);
	return err;
}

int ext2_rmdir(struct ext2_inode_info *dir, const char *name, size_t len)
{
	struct ext2_fs *fs = dir->fs;
	int err;

	if (len == 1 && name[0] == '.')
		return -EINVAL;
	if (len == 2 && name[0] == '.' && name[1] == '.')
		return -ENOTEMPTY;
	fs_mutex_lock(&fs->lock);
	if (fs->read_only) {
		err = -EROFS;
		goto out;
	}
	struct ext2_inode_info *ei = get_child(dir, name, len, &err);
	if (!ei)
		goto out;
	if (!EXT2_ISDIR(ei->raw.i_mode)) {
		err = -ENOTDIR;
	} else if ((err = ext2_dir_empty(ei)) >= 0) {
		if (err == 0) {
			err = -ENOTEMPTY;
		} else {
			err = ext2_dir_remove(dir, name, len);
			if (!err) {
				ei->raw.i_links_count = 0;
				ext2_touch(ei, false, true);
				ext2_write_inode(ei);
				drop_link(dir);
			}
		}
	}
	ext2_iput_locked(ei);
out:
	fs_mutex_unlock(&fs->lock);
	return err;
}

/* Is dir `ino` inside the tree of directory `anc` (or anc itself)? Walks
 * ".." up to the root, bounded against loops. 1, 0 or -EIO. */
static int is_under(struct ext2_fs *fs, u32 ino, u32 anc)
{
	for (int depth = 0; depth < 4096; depth++) {
		if (ino == anc)
			return 1;
		if (ino == EXT2_ROOT_INO)
			return 0;
		int err;
		struct ext2_inode_info *d = ext2_iget_locked(fs, ino, &err);
		if (!d)
			return err;
		u32 up;
		err = ext2_dir_find(d, "..", 2, &up);
		ext2_iput_locked(d);
		if (err)
			return err == -ENOENT ? -EIO : err;
		ino = up;
	}
	ext2_err(fs, "directory loop above inode %u", ino);
	return -EIO;
}

int ext2_rename(struct ext2_inode_info *odir, const char *oname, size_t olen,
		struct ext2_inode_info *ndir, const char *nname, size_t nlen)
{
	struct ext2_fs *fs = odir->fs;
	struct ext2_inode_info *src = NULL, *dst = NULL;
	u32 dst_ino = 0;
	int err;

	bool dots = (olen == 1 && oname[0] == '.') || (olen == 2 && !memcmp(oname, "..", 2)) ||
		    (nlen == 1 && nname[0] == '.') || (nlen == 2 && !memcmp(nname, "..", 2));
	if (dots)
		return -EINVAL; /* the VFS refuses these first (EBUSY/EINVAL); never touch them here */
	fs_mutex_lock(&fs->lock);
	if (fs->read_only) {
		err = -EROFS;
		goto out;
	}
	if (!EXT2_ISDIR(ndir->raw.i_mode) || !EXT2_ISDIR(odir->raw.i_mode)) {
		err = -ENOTDIR;
		goto out;
	}
	src = get_child(odir, oname, olen, &err);
	if (!src)
		goto out;
	bool src_dir = EXT2_ISDIR(src->raw.i_mode);
	err = ext2_dir_find(ndir, nname, nlen, &dst_ino);
	if (err && err != -ENOENT)
		goto out;
	err = 0;
	if (dst_ino == src->ino)
		goto out; /* same inode: nothing to do (POSIX) */
	if (src_dir && ndir != odir) {
		int u = is_under(fs, ndir->ino, src->ino);
		if (u) {
			err = u < 0 ? u : -EINVAL;
			goto out;
		}
	}
	if (dst_ino) {
		dst = ext2_iget_locked(fs, dst_ino, &err);
		if (!dst)
			goto out;
		bool dst_dir = EXT2_ISDIR(dst->raw.i_mode);
		if (src_dir && !dst_dir) {
			err = -ENOTDIR;
			goto out;
		}
		if (!src_dir && dst_dir) {
			err = -EISDIR;
			goto out;
		}
		if (dst_dir) {
			int e = ext2_dir_empty(dst);
			if (e <= 0) {
				err = e < 0 ? e : -ENOTEMPTY;
				goto out;
			}
		}
		err = ext2_dir_set(ndir, nname, nlen, src->ino, src->raw.i_mode);
		if (err)
			goto out;
		if (dst_dir) {
			dst->raw.i_links_count = 0;
			ext2_touch(dst, false, true);
			ext2_write_inode(dst);
			drop_link(ndir);
		} else {
			drop_link(dst);
		}
	} else {
		if (src_dir && ndir != odir && ndir->raw.i_links_count >= EXT2_LINK_MAX) {
			err = -EMLINK;
			goto out;
		}
		err = ext2_dir_add(ndir, nname, nlen, src->ino, src->raw.i_mode);
		if (err)
			goto out;
	}
	err = ext2_dir_remove(odir, oname, olen);
	if (err) {
		ext2_err(fs, "rename: old entry vanished from directory %u", odir->ino);
		goto out;
	}
	if (src_dir && ndir != odir) {
		ext2_dir_set(src, "..", 2, ndir->ino, EXT2_S_IFDIR);
		drop_link(odir);
		ndir->raw.i_links_count++;
		ext2_write_inode(ndir);
	}
	ext2_touch(src, false, true);
	ext2_write_inode(src);
out:
	ext2_iput_locked(dst);
	ext2_iput_locked(src);
	fs_mutex_unlock(&fs->lock);
	return err;
}
