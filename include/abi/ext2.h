/* The ext2 on-disk format: the bytes shared with mke2fs/e2fsck and Linux.
 * Reference: "The Second Extended File System" (Dave Poirier,
 * nongnu.org/ext2-doc), and e2fsprogs' lib/ext2fs/ext2_fs.h for the field
 * names and feature bits (read for the layout, not copied). All fields are
 * little endian; the structures are naturally aligned. */
#ifndef ABI_EXT2_H
#define ABI_EXT2_H

#include <skiff/compiler.h>

#define EXT2_SUPER_MAGIC     0xEF53
#define EXT2_SUPERBLOCK_OFFSET 1024   /* bytes from the start of the device */
#define EXT2_MIN_BLOCK_LOG   10       /* 1 KiB */
#define EXT2_MAX_BLOCK_LOG   16       /* 64 KiB */
#define EXT2_GOOD_OLD_REV    0
#define EXT2_DYNAMIC_REV     1
#define EXT2_GOOD_OLD_INODE_SIZE 128
#define EXT2_GOOD_OLD_FIRST_INO  11

#define EXT2_ROOT_INO        2
#define EXT2_RESIZE_INO      7

#define EXT2_VALID_FS 1  /* s_state: cleanly unmounted */
#define EXT2_ERROR_FS 2

/* Features. COMPAT: a kernel that does not know them may read and write.
 * RO_COMPAT: may read, must not write. INCOMPAT: must not mount. */
#define EXT2_FEATURE_COMPAT_DIR_PREALLOC  0x0001
#define EXT2_FEATURE_COMPAT_IMAGIC_INODES 0x0002
#define EXT3_FEATURE_COMPAT_HAS_JOURNAL   0x0004
#define EXT2_FEATURE_COMPAT_EXT_ATTR      0x0008
#define EXT2_FEATURE_COMPAT_RESIZE_INODE  0x0010
#define EXT2_FEATURE_COMPAT_DIR_INDEX     0x0020

#define EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER 0x0001
#define EXT2_FEATURE_RO_COMPAT_LARGE_FILE   0x0002
#define EXT2_FEATURE_RO_COMPAT_BTREE_DIR    0x0004
#define EXT4_FEATURE_RO_COMPAT_HUGE_FILE    0x0008
#define EXT4_FEATURE_RO_COMPAT_GDT_CSUM     0x0010
#define EXT4_FEATURE_RO_COMPAT_DIR_NLINK    0x0020
#define EXT4_FEATURE_RO_COMPAT_EXTRA_ISIZE  0x0040
#define EXT4_FEATURE_RO_COMPAT_METADATA_CSUM 0x0400

#define EXT2_FEATURE_INCOMPAT_COMPRESSION 0x0001
#define EXT2_FEATURE_INCOMPAT_FILETYPE    0x0002
#define EXT3_FEATURE_INCOMPAT_RECOVER     0x0004
#define EXT3_FEATURE_INCOMPAT_JOURNAL_DEV 0x0008
#define EXT2_FEATURE_INCOMPAT_META_BG     0x0010
#define EXT4_FEATURE_INCOMPAT_EXTENTS     0x0040
#define EXT4_FEATURE_INCOMPAT_64BIT       0x0080
#define EXT4_FEATURE_INCOMPAT_MMP         0x0100
#define EXT4_FEATURE_INCOMPAT_FLEX_BG     0x0200
#define EXT4_FEATURE_INCOMPAT_INLINE_DATA 0x8000

struct ext2_super_block {
	u32 s_inodes_count;
	u32 s_blocks_count;
	u32 s_r_blocks_count;
	u32 s_free_blocks_count;
	u32 s_free_inodes_count;
	u32 s_first_data_block;   /* 1 for 1 KiB blocks, else 0 */
	u32 s_log_block_size;     /* block size = 1024 << this */
	u32 s_log_frag_size;
	u32 s_blocks_per_group;
	u32 s_frags_per_group;
	u32 s_inodes_per_group;
	u32 s_mtime;
	u32 s_wtime;
	u16 s_mnt_count;
	s16 s_max_mnt_count;
	u16 s_magic;
	u16 s_state;
	u16 s_errors;
	u16 s_minor_rev_level;
	u32 s_lastcheck;
	u32 s_checkinterval;
	u32 s_creator_os;
	u32 s_rev_level;
	u16 s_def_resuid;
	u16 s_def_resgid;
	/* EXT2_DYNAMIC_REV only */
	u32 s_first_ino;
	u16 s_inode_size;
	u16 s_block_group_nr;
	u32 s_feature_compat;
	u32 s_feature_incompat;
	u32 s_feature_ro_compat;
	u8 s_uuid[16];
	char s_volume_name[16];
	char s_last_mounted[64];
	u32 s_algorithm_usage_bitmap;
	u8 s_prealloc_blocks;
	u8 s_prealloc_dir_blocks;
	u16 s_reserved_gdt_blocks;
	u8 s_journal_uuid[16];
	u32 s_journal_inum;
	u32 s_journal_dev;
	u32 s_last_orphan;
	u32 s_hash_seed[4];
	u8 s_def_hash_version;
	u8 s_jnl_backup_type;
	u16 s_desc_size;
	u32 s_default_mount_opts;
	u32 s_first_meta_bg;
	u32 s_mkfs_time;
	u32 s_jnl_blocks[17];
	u8 s_rest[1024 - 336];    /* ext4 fields Skiff does not use */
};
BUILD_ASSERT(sizeof(struct ext2_super_block) == 1024, "ext2_super_block size");
BUILD_ASSERT(offsetof(struct ext2_super_block, s_first_data_block) == 20, "sb.s_first_data_block");
BUILD_ASSERT(offsetof(struct ext2_super_block, s_blocks_per_group) == 32, "sb.s_blocks_per_group");
BUILD_ASSERT(offsetof(struct ext2_super_block, s_inodes_per_group) == 40, "sb.s_inodes_per_group");
BUILD_ASSERT(offsetof(struct ext2_super_block, s_wtime) == 48, "sb.s_wtime");
BUILD_ASSERT(offsetof(struct ext2_super_block, s_magic) == 56, "sb.s_magic");
BUILD_ASSERT(offsetof(struct ext2_super_block, s_state) == 58, "sb.s_state");
BUILD_ASSERT(offsetof(struct ext2_super_block, s_rev_level) == 76, "sb.s_rev_level");
BUILD_ASSERT(offsetof(struct ext2_super_block, s_first_ino) == 84, "sb.s_first_ino");
BUILD_ASSERT(offsetof(struct ext2_super_block, s_inode_size) == 88, "sb.s_inode_size");
BUILD_ASSERT(offsetof(struct ext2_super_block, s_feature_compat) == 92, "sb.s_feature_compat");
BUILD_ASSERT(offsetof(struct ext2_super_block, s_feature_incompat) == 96, "sb.s_feature_incompat");
BUILD_ASSERT(offsetof(struct ext2_super_block, s_feature_ro_compat) == 100, "sb.s_feature_ro_compat");
BUILD_ASSERT(offsetof(struct ext2_super_block, s_uuid) == 104, "sb.s_uuid");
BUILD_ASSERT(offsetof(struct ext2_super_block, s_volume_name) == 120, "sb.s_volume_name");
BUILD_ASSERT(offsetof(struct ext2_super_block, s_last_mounted) == 136, "sb.s_last_mounted");
BUILD_ASSERT(offsetof(struct ext2_super_block, s_reserved_gdt_blocks) == 206, "sb.s_reserved_gdt_blocks");
BUILD_ASSERT(offsetof(struct ext2_super_block, s_journal_inum) == 224, "sb.s_journal_inum");
BUILD_ASSERT(offsetof(struct ext2_super_block, s_hash_seed) == 236, "sb.s_hash_seed");
BUILD_ASSERT(offsetof(struct ext2_super_block, s_desc_size) == 254, "sb.s_desc_size");
BUILD_ASSERT(offsetof(struct ext2_super_block, s_first_meta_bg) == 260, "sb.s_first_meta_bg");
BUILD_ASSERT(offsetof(struct ext2_super_block, s_jnl_blocks) == 268, "sb.s_jnl_blocks");

/* Block group descriptor (32 bytes without the 64bit feature). The table
 * starts in the block after the superblock. */
struct ext2_group_desc {
	u32 bg_block_bitmap;
	u32 bg_inode_bitmap;
	u32 bg_inode_table;
	u16 bg_free_blocks_count;
	u16 bg_free_inodes_count;
	u16 bg_used_dirs_count;
	u16 bg_flags;             /* ext4 uninit_bg; 0 on ext2 */
	u32 bg_reserved[3];
};
BUILD_ASSERT(sizeof(struct ext2_group_desc) == 32, "ext2_group_desc size");
BUILD_ASSERT(offsetof(struct ext2_group_desc, bg_inode_table) == 8, "gd.bg_inode_table");
BUILD_ASSERT(offsetof(struct ext2_group_desc, bg_free_blocks_count) == 12, "gd.bg_free_blocks_count");
BUILD_ASSERT(offsetof(struct ext2_group_desc, bg_used_dirs_count) == 16, "gd.bg_used_dirs_count");

/* Block map of an inode: 12 direct pointers, then single, double and
 * triple indirect. */
#define EXT2_NDIR_BLOCKS 12
#define EXT2_IND_BLOCK   12
#define EXT2_DIND_BLOCK  13
#define EXT2_TIND_BLOCK  14
#define EXT2_N_BLOCKS    15

struct ext2_inode {
	u16 i_mode;
	u16 i_uid;
	u32 i_size;               /* low 32 bits */
	u32 i_atime;
	u32 i_ctime;
	u32 i_mtime;
	u32 i_dtime;
	u16 i_gid;
	u16 i_links_count;
	u32 i_blocks;             /* 512-byte units (without HUGE_FILE) */
	u32 i_flags;
	u32 i_osd1;
	u32 i_block[EXT2_N_BLOCKS]; /* or the fast symlink's text */
	u32 i_generation;
	u32 i_file_acl;           /* extended attribute block */
	u32 i_size_high;          /* regular files: high 32 bits (LARGE_FILE) */
	u32 i_faddr;
	u16 i_blocks_hi;
	u16 i_file_acl_high;
	u16 i_uid_high;
	u16 i_gid_high;
	u16 i_checksum_lo;
	u16 i_reserved;
};
BUILD_ASSERT(sizeof(struct ext2_inode) == 128, "ext2_inode size");
BUILD_ASSERT(offsetof(struct ext2_inode, i_size) == 4, "inode.i_size");
BUILD_ASSERT(offsetof(struct ext2_inode, i_dtime) == 20, "inode.i_dtime");
BUILD_ASSERT(offsetof(struct ext2_inode, i_links_count) == 26, "inode.i_links_count");
BUILD_ASSERT(offsetof(struct ext2_inode, i_blocks) == 28, "inode.i_blocks");
BUILD_ASSERT(offsetof(struct ext2_inode, i_flags) == 32, "inode.i_flags");
BUILD_ASSERT(offsetof(struct ext2_inode, i_block) == 40, "inode.i_block");
BUILD_ASSERT(offsetof(struct ext2_inode, i_generation) == 100, "inode.i_generation");
BUILD_ASSERT(offsetof(struct ext2_inode, i_file_acl) == 104, "inode.i_file_acl");
BUILD_ASSERT(offsetof(struct ext2_inode, i_size_high) == 108, "inode.i_size_high");
BUILD_ASSERT(offsetof(struct ext2_inode, i_blocks_hi) == 116, "inode.i_blocks_hi");
BUILD_ASSERT(offsetof(struct ext2_inode, i_uid_high) == 120, "inode.i_uid_high");
BUILD_ASSERT(offsetof(struct ext2_inode, i_gid_high) == 122, "inode.i_gid_high");

/* Inodes larger than 128 bytes continue with i_extra_isize (bytes of the
 * extra fields in use) and ext4's nanosecond timestamps. */
struct ext2_inode_large_tail {
	u16 i_extra_isize;
	u16 i_checksum_hi;
	u32 i_ctime_extra;
	u32 i_mtime_extra;
	u32 i_atime_extra;
	u32 i_crtime;
	u32 i_crtime_extra;
	u32 i_version_hi;
	u32 i_projid;
};
BUILD_ASSERT(sizeof(struct ext2_inode_large_tail) == 32, "ext2_inode_large_tail size");

#define EXT2_SECRM_FL     0x00000001
#define EXT2_IMMUTABLE_FL 0x00000010
#define EXT2_APPEND_FL    0x00000020
#define EXT2_INDEX_FL     0x00001000 /* htree directory */
#define EXT4_HUGE_FILE_FL 0x00040000
#define EXT4_EXTENTS_FL   0x00080000
#define EXT4_INLINE_DATA_FL 0x10000000

/* Linked-list directory entry. name_len is 8 bits and file_type follows
 * with INCOMPAT_FILETYPE; without it name_len is 16 bits. rec_len is a
 * multiple of 4 and the entries of a block tile it exactly. */
struct ext2_dir_entry {
	u32 inode;   /* 0: unused entry */
	u16 rec_len;
	u8 name_len;
	u8 file_type;
	char name[];
};
BUILD_ASSERT(sizeof(struct ext2_dir_entry) == 8, "ext2_dir_entry header size");
BUILD_ASSERT(offsetof(struct ext2_dir_entry, rec_len) == 4, "dirent.rec_len");
BUILD_ASSERT(offsetof(struct ext2_dir_entry, name_len) == 6, "dirent.name_len");
BUILD_ASSERT(offsetof(struct ext2_dir_entry, file_type) == 7, "dirent.file_type");
#define EXT2_DIR_REC_LEN(name_len) (((name_len) + 8 + 3) & ~3u)

#define EXT2_FT_UNKNOWN  0
#define EXT2_FT_REG_FILE 1
#define EXT2_FT_DIR      2
#define EXT2_FT_CHRDEV   3
#define EXT2_FT_BLKDEV   4
#define EXT2_FT_FIFO     5
#define EXT2_FT_SOCK     6
#define EXT2_FT_SYMLINK  7

/* Extended attribute block header (only the refcount matters to Skiff:
 * freeing an inode drops its reference on the block). */
#define EXT2_XATTR_MAGIC 0xEA020000
struct ext2_xattr_header {
	u32 h_magic;
	u32 h_refcount;
	u32 h_blocks;
	u32 h_hash;
	u32 h_checksum;
	u32 h_reserved[3];
};
BUILD_ASSERT(sizeof(struct ext2_xattr_header) == 32, "ext2_xattr_header size");
BUILD_ASSERT(offsetof(struct ext2_xattr_header, h_refcount) == 4, "xattr.h_refcount");

#endif
