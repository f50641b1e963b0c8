/* Character device registry: (major, minor) -> file_operations. devfs
 * mirrors every entry as a node in /dev through chrdev_register_hook. */
#include "../fs.h"
#include <skiff/string.h>

#define MAX_CHRDEVS 64

struct chrdev {
	u32 major, minor;
	char name[32];
	const struct file_operations *fops;
};

static DEFINE_SPINLOCK(chrdev_lock);
static struct chrdev chrdevs[MAX_CHRDEVS]; /* [chrdev_lock] */
static int nr_chrdevs;                     /* [chrdev_lock] */
void (*chrdev_register_hook)(u32 major, u32 minor, const char *name);

/* Returns 0, -EBUSY if (major, minor) is taken, -ENOSPC when full. name is
 * the node's path under /dev ("null", "input/event0"). */
int register_chrdev(u32 major, u32 minor, const char *name, const struct file_operations *fops)
{
	spin_lock(&chrdev_lock);
	for (int i = 0; i < nr_chrdevs; i++) {
		if (chrdevs[i].major == major && chrdevs[i].minor == minor) {
			spin_unlock(&chrdev_lock);
			return -EBUSY;
		}
	}
	if (nr_chrdevs == MAX_CHRDEVS) {
		spin_unlock(&chrdev_lock);
		return -ENOSPC;
	}
	struct chrdev *c = &chrdevs[nr_chrdevs++];
	c->major = major;
	c->minor = minor;
	strlcpy(c->name, name, sizeof(c->name));
	c->fops = fops;
	spin_unlock(&chrdev_lock);
	if (chrdev_register_hook)
		chrdev_register_hook(major, minor, name);
	return 0;
}

const struct file_operations *chrdev_lookup(u64 rdev)
{
	u32 major = uapi_dev_major(rdev), minor = uapi_dev_minor(rdev);
	const struct file_operations *fops = NULL;

	spin_lock(&chrdev_lock);
	for (int i = 0; i < nr_chrdevs; i++)
		if (chrdevs[i].major == major && chrdevs[i].minor == minor)
			fops = chrdevs[i].fops;
	spin_unlock(&chrdev_lock);
	return fops;
}

void chrdev_for_each(void (*fn)(u32 major, u32 minor, const char *name))
{
	for (int i = 0;; i++) {
		struct chrdev c;
		spin_lock(&chrdev_lock);
		if (i >= nr_chrdevs) {
			spin_unlock(&chrdev_lock);
			return;
		}
		c = chrdevs[i];
		spin_unlock(&chrdev_lock);
		fn(c.major, c.minor, c.name);
	}
}
