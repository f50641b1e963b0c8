/* /proc/PID/maps text (procinfo_maps, include/skiff/procinfo.h), in Linux's
 * format: "start-end perms offset major:minor inode" padded to column 73,
 * then the path or [heap]/[stack]/[vdso]... The VMAs are copied under the mm
 * lock, then formatted without it (file_path may sleep). */
#include "uvm.h"
#include "../fs/fs.h"          /* inode number and device for the dev/inode columns */
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/printk.h>
#include <skiff/procinfo.h>
#include <skiff/string.h>
#include <skiff/task.h>
#include <skiff/vfs.h>

struct snap {
	u64 start, end, pgoff;
	u32 prot, flags;
	struct file *file;  /* referenced */
	const char *name;
	s32 shm_key;
	bool shared_anon;
};

static int format_one(const struct snap *s, char *out, size_t size, char *path, size_t psize)
{
	u32 major = 0, minor = 0;
	u64 ino = 0, off = 0;
	const char *name = s->name;

	if (name) {
		/* Special mappings ([vdso], [vvar]): no file columns, as Linux. */
	} else if (s->file) {
		struct inode *i = s->file->inode;
		if (i) {
			u64 dev = i->sb ? i->sb->dev : 0;
			major = (u32)(((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfffull));
			minor = (u32)((dev & 0xff) | ((dev >> 12) & ~0xffull));
			ino = i->ino;
		}
		off = s->pgoff << PAGE_SHIFT;
		if (file_path(s->file, path, psize) >= 0)
			name = path;
	} else if (s->shm_key || (s->flags & VMA_SHM)) {
		snprintf(path, psize, "/SYSV%08x (deleted)", (u32)s->shm_key);
		name = path;
	} else if (s->shared_anon) {
		name = "/dev/zero (deleted)";
	} else if (s->flags & VMA_HEAP) {
		name = "[heap]";
	} else if (s->flags & VMA_STACK) {
		name = "[stack]";
	}
	int n = snprintf(out, size, "%08llx-%08llx %c%c%c%c %08llx %02x:%02x %llu ",
			 (unsigned long long)s->start, (unsigned long long)s->end,
			 (s->prot & PROT_READ) ? 'r' : '-', (s->prot & PROT_WRITE) ? 'w' : '-',
			 (s->prot & PROT_EXEC) ? 'x' : '-',
			 (s->flags & VMA_SHARED) && !s->name ? 's' : 'p',
			 (unsigned long long)off, major, minor, (unsigned long long)ino);
	if ((size_t)n >= size)
		return (int)size - 1;
	if (name) {
		while (n < 72 && (size_t)n + 1 < size)
			out[n++] = ' ';
		n += snprintf(out + n, size - (size_t)n, " %s", name);
		if ((size_t)n >= size)
			return (int)size - 1;
	}
	if ((size_t)n + 1 < size) {
		out[n++] = '\n';
		out[n] = 0;
	}
	return n;
}

int procinfo_maps(pid_t pid, char *buf, size_t size)
{
	struct process *p = process_get(pid);
	struct mm *mm;
	struct snap *snaps;
	int n = 0, len = 0;

	if (!p)
		return -ESRCH;
	mm = process_mm_get(p);
	process_put(p);
	if (size)
		buf[0] = 0;
	if (!mm)
		return 0;

	for (;;) {
		spin_lock(&mm->lock);
		int count = (int)vma_count(&mm->vmas);
		mm_unlock(mm);
		snaps = kmalloc(sizeof(*snaps) * (size_t)(count + 1));
		if (!snaps) {
			mm_put(mm);
			return -ENOMEM;
		}
		spin_lock(&mm->lock);
		if ((int)vma_count(&mm->vmas) > count + 1) {
			mm_unlock(mm);
			kfree(snaps);
			continue;
		}
		struct vma *v;
		list_for_each_entry(v, &mm->vmas, link) {
			struct snap *s = &snaps[n++];
			s->start = v->start;
			s->end = v->end;
			s->pgoff = v->pgoff;
			s->prot = v->prot;
			s->flags = v->flags;
			s->file = v->file;
			s->name = v->name;
			s->shm_key = (v->flags & VMA_SHM) ? shm_object_key(v->obj) : 0;
			s->shared_anon = v->obj && !(v->flags & VMA_SHM);
			if (v->file)
				file_get(v->file);
		}
		mm_unlock(mm);
		break;
	}
	char *path = kmalloc(512);
	for (int i = 0; i < n; i++) {
		if (path && (size_t)len + 1 < size)
			len += format_one(&snaps[i], buf + len, size - (size_t)len, path, 512);
		if (snaps[i].file)
			file_put(snaps[i].file);
	}
	kfree(path);
	kfree(snaps);
	mm_put(mm);
	return len;
}
