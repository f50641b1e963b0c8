/* System V shared memory: shmget, shmat, shmdt, shmctl.
 *
 * A segment owns a vm_object (shared anonymous pages, mm/uvm.c). Every VMA
 * attaching it holds an object reference and counts in shm_nattch
 * (shm_vma_attach, called as VMAs are created, split, forked and freed).
 * IPC_RMID marks the segment SHM_DEST and makes its key private; it is
 * destroyed when the last attach goes away.
 *
 * Locking: shm_lock (spinlock) protects the segment table and every field
 * of every segment. Lock order: mm->lock, then shm_lock. */
#include "uvm.h"
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/spinlock.h>
#include <skiff/string.h>
#include <skiff/syscall.h>
#include <skiff/task.h>
#include <skiff/time.h>
#include <skiff/uaccess.h>
#include <uapi/shm.h>

#define SEQ_MULT 32768 /* Linux's IPCMNI: id = seq * 32768 + index */

struct shm_seg {
	int idx;
	u16 seq;
	s32 key;
	u64 size;
	struct vm_object *obj;  /* one reference held by the segment */
	u32 uid, gid, cuid, cgid, mode;
	s64 atime, dtime, ctime;
	s32 cpid, lpid;
	s64 nattch;
	bool dest, locked;
};

static DEFINE_SPINLOCK(shm_lock);
static struct shm_seg *segs[SHMMNI]; /* [shm_lock] */
static u16 next_seq;                  /* [shm_lock] */

static u32 cur_euid(void) { return current_task() ? current_proc()->euid : 0; }
static u32 cur_egid(void) { return current_task() ? current_proc()->egid : 0; }
static s32 cur_pid(void) { return current_task() ? current_proc()->pid : 0; }
static s64 now_s(void) { return (s64)(clock_realtime_ns() / 1000000000ull); }
static int seg_id(const struct shm_seg *s) { return s->seq * SEQ_MULT + s->idx; }

/* Linux ipcperms(): flag holds rwx bits for owner/group/other. */
static bool perm_ok(const struct shm_seg *s, u32 flag)
{
	u32 euid = cur_euid(), requested = ((flag >> 6) | (flag >> 3) | flag) & 7, granted = s->mode;

	if (euid == 0)
		return true;
	if (euid == s->uid || euid == s->cuid)
		granted >>= 6;
	else if (cur_egid() == s->gid || cur_egid() == s->cgid)
		granted >>= 3;
	return !(requested & ~granted & 7);
}

static bool is_owner(const struct shm_seg *s)
{
	u32 euid = cur_euid();
	return euid == 0 || euid == s->uid || euid == s->cuid;
}

/* [shm_lock] */
static struct shm_seg *seg_by_id(int id)
{
	if (id < 0)
		return NULL;
	struct shm_seg *s = segs[id % SEQ_MULT % SHMMNI];
	return s && seg_id(s) == id ? s : NULL;
}

/* Remove s from the table and free it. [shm_lock] held; returns the
 * object reference the caller must drop after unlocking. */
static struct vm_object *seg_destroy(struct shm_seg *s)
{
	struct vm_object *o = s->obj;

	segs[s->idx] = NULL;
	kfree(s);
	return o;
}

void shm_vma_attach(struct vm_object *o, int delta)
{
	struct shm_seg *s = o->shm;
	struct vm_object *drop = NULL;

	if (!s)
		return;
	spin_lock(&shm_lock);
	s->nattch += delta;
	s->lpid = cur_pid();
	if (delta > 0) {
		s->atime = now_s();
	} else {
		s->dtime = now_s();
		if (s->nattch == 0 && s->dest) {
			o->shm = NULL;
			drop = seg_destroy(s);
		}
	}
	spin_unlock(&shm_lock);
	if (drop)
		vm_object_put(drop);
}

SYSCALL_DEFINE(29, shmget)
{
	s32 key = (s32)a0;
	u64 size = a1;
	int flg = (int)a2, ret;
	struct shm_seg *s = NULL, *fresh = NULL;

	if (key != IPC_PRIVATE) {
		spin_lock(&shm_lock);
		for (int i = 0; i < SHMMNI; i++)
			if (segs[i] && segs[i]->key == key && !segs[i]->dest)
				s = segs[i];
		if (s) {
			if ((flg & IPC_CREAT) && (flg & IPC_EXCL))
				ret = -EEXIST;
			else if (!perm_ok(s, (u32)flg))
				ret = -EACCES;
			else if (size > s->size)
				ret = -EINVAL;
			else
				ret = seg_id(s);
			spin_unlock(&shm_lock);
			return ret;
		}
		spin_unlock(&shm_lock);
		if (!(flg & IPC_CREAT))
			return -ENOENT;
	}
	if (size < SHMMIN || size > SHMMAX)
		return -EINVAL;
	if (!(flg & SHM_NORESERVE) && !vm_enough_memory(DIV_ROUND_UP(size, PAGE_SIZE)))
		return -ENOMEM;
	fresh = kzalloc(sizeof(*fresh));
	if (!fresh)
		return -ENOMEM;
	fresh->obj = vm_object_create(DIV_ROUND_UP(size, PAGE_SIZE));
	if (!fresh->obj) {
		kfree(fresh);
		return -ENOMEM;
	}
	fresh->obj->shm = fresh;
	fresh->key = key;
	fresh->size = size;
	fresh->uid = fresh->cuid = cur_euid();
	fresh->gid = fresh->cgid = cur_egid();
	fresh->mode = (u32)flg & 0777;
	fresh->cpid = cur_pid();
	fresh->ctime = now_s();

	spin_lock(&shm_lock);
	ret = -ENOSPC;
	if (key != IPC_PRIVATE) { /* lost a race with another creator? */
		for (int i = 0; i < SHMMNI; i++)
			if (segs[i] && segs[i]->key == key && !segs[i]->dest)
				ret = -EEXIST;
	}
	for (int i = 0; ret == -ENOSPC && i < SHMMNI; i++) {
		if (!segs[i]) {
			fresh->idx = i;
			fresh->seq = next_seq++ % (0x7fffffff / SEQ_MULT);
			segs[i] = fresh;
			ret = seg_id(fresh);
		}
	}
	spin_unlock(&shm_lock);
	if (ret < 0) {
		fresh->obj->shm = NULL;
		vm_object_put(fresh->obj);
		kfree(fresh);
	}
	return ret;
}

SYSCALL_DEFINE(30, shmat)
{
	struct mm *mm = current_mm();
	int id = (int)a0, flg = (int)a2, err;
	u64 addr = a1, size;
	struct vm_object *o;
	u32 prot = PROT_READ, acc = 0444, vflags = VMA_SHARED | VMA_SHM;

	if (addr) {
		if (addr & (SHMLBA - 1)) {
			if (!(flg & SHM_RND))
				return -EINVAL;
			addr &= ~(u64)(SHMLBA - 1);
			if (!addr && (flg & SHM_REMAP))
				return -EINVAL;
		}
	} else if (flg & SHM_REMAP) {
		return -EINVAL;
	}
	if (!(flg & SHM_RDONLY)) {
		prot |= PROT_WRITE;
		acc |= 0222;
		vflags |= VMA_MAYWRITE;
	}
	if (flg & SHM_EXEC) {
		prot |= PROT_EXEC;
		acc |= 0111;
	}
	spin_lock(&shm_lock);
	struct shm_seg *s = seg_by_id(id);
	if (!s) {
		spin_unlock(&shm_lock);
		return -EINVAL;
	}
	if (!perm_ok(s, acc)) {
		spin_unlock(&shm_lock);
		return -EACCES;
	}
	o = s->obj;
	vm_object_get(o);
	size = ALIGN_UP(s->size, PAGE_SIZE);
	spin_unlock(&shm_lock);

	spin_lock(&mm->lock);
	if (addr) {
		if (addr > USER_TOP - size) {
			err = -EINVAL;
		} else if (!(flg & SHM_REMAP) && !vma_range_free(&mm->vmas, addr, addr + size)) {
			err = -EINVAL;
		} else {
			err = vm_unmap_locked(mm, addr, addr + size);
		}
	} else {
		addr = vm_get_unmapped(mm, 0, size);
		err = addr ? 0 : -ENOMEM;
	}
	if (!err)
		err = vm_insert_vma(mm, addr, size, prot, vflags, NULL, o, 0, NULL);
	mm_unlock(mm);
	vm_object_put(o);
	return err ? err : (long)addr;
}

SYSCALL_DEFINE(67, shmdt)
{
	struct mm *mm = current_mm();
	u64 addr = a0;
	int err = -EINVAL;

	if (addr & (PAGE_SIZE - 1))
		return -EINVAL;
	spin_lock(&mm->lock);
	struct vma *v = vma_lookup(&mm->vmas, addr);
	if (v && v->start == addr && (v->flags & VMA_SHM) && v->pgoff == 0) {
		struct vm_object *o = v->obj;
		u64 end = addr + (o->npages << PAGE_SHIFT);
		err = 0;
		/* Every piece of this attach (mprotect may have split it). */
		while (v && v->start < end && v->obj == o) {
			struct vma *n = vma_next(&mm->vmas, v);
			u64 s = v->start, e = v->end;
			if (v->pgoff != (s - addr) >> PAGE_SHIFT)
				break;
			vm_unmap_locked(mm, s, e);
			v = n;
		}
	}
	mm_unlock(mm);
	return err;
}

static void fill_ds(const struct shm_seg *s, struct shmid64_ds *ds)
{
	memset(ds, 0, sizeof(*ds));
	ds->shm_perm.key = s->key;
	ds->shm_perm.uid = s->uid;
	ds->shm_perm.gid = s->gid;
	ds->shm_perm.cuid = s->cuid;
	ds->shm_perm.cgid = s->cgid;
	ds->shm_perm.mode = s->mode | (s->dest ? SHM_DEST : 0) | (s->locked ? SHM_LOCKED : 0);
	ds->shm_perm.seq = s->seq;
	ds->shm_segsz = s->size;
	ds->shm_atime = s->atime;
	ds->shm_dtime = s->dtime;
	ds->shm_ctime = s->ctime;
	ds->shm_cpid = s->cpid;
	ds->shm_lpid = s->lpid;
	ds->shm_nattch = (u64)s->nattch;
}

static int max_index(void)
{
	int m = 0;
	for (int i = 0; i < SHMMNI; i++)
		if (segs[i])
			m = i;
	return m;
}

SYSCALL_DEFINE(31, shmctl)
{
	int id = (int)a0, cmd = (int)a1 & ~IPC_64;
	void *ubuf = (void *)a2;
	struct shmid64_ds ds;
	struct vm_object *drop = NULL;
	long ret = 0;

	switch (cmd) {
	case IPC_INFO: {
		struct shminfo64 info = { SHMMAX, SHMMIN, SHMMNI, SHMSEG, SHMALL, 0, 0, 0, 0 };
		spin_lock(&shm_lock);
		ret = max_index();
		spin_unlock(&shm_lock);
		return copy_to_user(ubuf, &info, sizeof(info)) ? -EFAULT : ret;
	}
	case SHM_INFO: {
		struct shm_info info;
		memset(&info, 0, sizeof(info));
		spin_lock(&shm_lock);
		for (int i = 0; i < SHMMNI; i++) {
			if (!segs[i])
				continue;
			info.used_ids++;
			info.shm_tot += DIV_ROUND_UP(segs[i]->size, PAGE_SIZE);
			info.shm_rss += vm_object_resident(segs[i]->obj);
		}
		ret = max_index();
		spin_unlock(&shm_lock);
		return copy_to_user(ubuf, &info, sizeof(info)) ? -EFAULT : ret;
	}
	case IPC_STAT:
	case SHM_STAT:
	case SHM_STAT_ANY:
	case IPC_SET:
	case IPC_RMID:
	case SHM_LOCK:
	case SHM_UNLOCK:
		break;
	default:
		return -EINVAL;
	}
	if (cmd == IPC_SET && copy_from_user(&ds, ubuf, sizeof(ds)))
		return -EFAULT;

	spin_lock(&shm_lock);
	struct shm_seg *s;
	if (cmd == SHM_STAT || cmd == SHM_STAT_ANY)
		s = id >= 0 && id < SHMMNI ? segs[id] : NULL;
	else
		s = seg_by_id(id);
	if (!s) {
		spin_unlock(&shm_lock);
		return -EINVAL;
	}
	switch (cmd) {
	case IPC_STAT:
	case SHM_STAT:
	case SHM_STAT_ANY:
		if (cmd != SHM_STAT_ANY && !perm_ok(s, 0444)) {
			ret = -EACCES;
			break;
		}
		fill_ds(s, &ds);
		ret = cmd == IPC_STAT ? 0 : seg_id(s);
		break;
	case IPC_SET:
		if (!is_owner(s)) {
			ret = -EPERM;
			break;
		}
		s->uid = ds.shm_perm.uid;
		s->gid = ds.shm_perm.gid;
		s->mode = (s->mode & ~0777u) | (ds.shm_perm.mode & 0777);
		s->ctime = now_s();
		break;
	case IPC_RMID:
		if (!is_owner(s)) {
			ret = -EPERM;
			break;
		}
		s->dest = true;
		s->key = IPC_PRIVATE;
		if (s->nattch == 0) {
			s->obj->shm = NULL;
			drop = seg_destroy(s);
		}
		break;
	case SHM_LOCK:
	case SHM_UNLOCK:
		if (!is_owner(s)) {
			ret = -EPERM;
			break;
		}
		s->locked = cmd == SHM_LOCK;
		break;
	}
	spin_unlock(&shm_lock);
	if (drop)
		vm_object_put(drop);
	if (ret >= 0 && (cmd == IPC_STAT || cmd == SHM_STAT || cmd == SHM_STAT_ANY) &&
	    copy_to_user(ubuf, &ds, sizeof(ds)))
		return -EFAULT;
	return ret;
}

/* Key of the SysV segment behind o (for /proc/PID/maps), 0 if none. */
s32 shm_object_key(struct vm_object *o)
{
	s32 key = 0;

	spin_lock(&shm_lock);
	if (o->shm)
		key = o->shm->key;
	spin_unlock(&shm_lock);
	return key;
}
