/* tracer/xlat.c: the constant tables and their generic printer. */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <linux/random.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/epoll.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/statvfs.h>
#include <time.h>
#include <sys/prctl.h>
#include <termios.h>
#include <linux/fs.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tracer/xlat.h"

#define X(name) { (uint64_t)(name), #name }
#define XLAT(name, ...) \
	static const struct xlat_entry name##_entries[] = { __VA_ARGS__ }; \
	const struct xlat name = { name##_entries, sizeof name##_entries / sizeof name##_entries[0] }

const char *xlat_name(const struct xlat *x, uint64_t v)
{
	for (unsigned i = 0; i < x->n; i++)
		if (x->e[i].val == v)
			return x->e[i].name;
	return NULL;
}

void xlat_print_enum(struct pbuf *b, const struct xlat *x, uint64_t v, const char *unknown_prefix)
{
	const char *name = xlat_name(x, v);
	if (name) {
		pb_puts(b, name);
		return;
	}
	pb_hex(b, v);
	if (unknown_prefix) {
		pb_puts(b, " /* ");
		pb_puts(b, unknown_prefix);
		pb_puts(b, "??? */");
	}
}

bool xlat_print_flags_part(struct pbuf *b, const struct xlat *x, uint64_t *v, bool first)
{
	for (unsigned i = 0; i < x->n && *v; i++) {
		uint64_t f = x->e[i].val;
		if (f && (*v & f) == f) {
			if (!first)
				pb_putc(b, '|');
			pb_puts(b, x->e[i].name);
			first = false;
			*v &= ~f;
		}
	}
	return first;
}

void xlat_print_flags(struct pbuf *b, const struct xlat *x, uint64_t v)
{
	if (v == 0) {
		const char *zero = xlat_name(x, 0);
		pb_puts(b, zero ? zero : "0");
		return;
	}
	bool first = xlat_print_flags_part(b, x, &v, true);
	if (v) {
		if (!first)
			pb_putc(b, '|');
		pb_hex(b, v);
	}
}

XLAT(xlat_open_access, X(O_RDONLY), X(O_WRONLY), X(O_RDWR));
/* strace's order; O_LARGEFILE (kernel value) goes between the two parts. */
XLAT(xlat_open_flags,
	X(O_CREAT), X(O_EXCL), X(O_NOCTTY), X(O_TRUNC), X(O_APPEND),
	X(O_NONBLOCK), X(O_SYNC), X(O_DSYNC), X(O_ASYNC), X(O_DIRECT));
XLAT(xlat_open_flags_tail,
	X(O_NOFOLLOW), X(O_NOATIME), X(O_CLOEXEC), X(O_PATH), X(O_TMPFILE),
	X(O_DIRECTORY));
XLAT(xlat_at_flags,
	X(AT_SYMLINK_NOFOLLOW), X(AT_REMOVEDIR), X(AT_SYMLINK_FOLLOW),
	X(AT_NO_AUTOMOUNT), X(AT_EMPTY_PATH), X(AT_STATX_FORCE_SYNC),
	X(AT_STATX_DONT_SYNC), X(AT_RECURSIVE));
XLAT(xlat_faccessat_flags,
	X(AT_SYMLINK_NOFOLLOW), X(AT_EACCESS), X(AT_EMPTY_PATH));
XLAT(xlat_unlinkat_flags, X(AT_REMOVEDIR));
XLAT(xlat_access_modes, X(F_OK), X(R_OK), X(W_OK), X(X_OK));
XLAT(xlat_whence, X(SEEK_SET), X(SEEK_CUR), X(SEEK_END), X(SEEK_DATA), X(SEEK_HOLE));
XLAT(xlat_prot,
	X(PROT_NONE), X(PROT_READ), X(PROT_WRITE), X(PROT_EXEC),
	X(PROT_GROWSDOWN), X(PROT_GROWSUP));
XLAT(xlat_map_type, X(MAP_SHARED), X(MAP_PRIVATE), X(MAP_SHARED_VALIDATE));
XLAT(xlat_map_flags,
	X(MAP_FIXED), X(MAP_ANONYMOUS),
#ifdef MAP_32BIT
	X(MAP_32BIT),
#endif
	X(MAP_GROWSDOWN),
	X(MAP_DENYWRITE), X(MAP_EXECUTABLE), X(MAP_LOCKED), X(MAP_NORESERVE),
	X(MAP_POPULATE), X(MAP_NONBLOCK), X(MAP_STACK), X(MAP_HUGETLB),
	X(MAP_SYNC), X(MAP_FIXED_NOREPLACE));
XLAT(xlat_mremap_flags, X(MREMAP_MAYMOVE), X(MREMAP_FIXED), X(MREMAP_DONTUNMAP));
XLAT(xlat_madvise,
	X(MADV_NORMAL), X(MADV_RANDOM), X(MADV_SEQUENTIAL), X(MADV_WILLNEED),
	X(MADV_DONTNEED), X(MADV_FREE), X(MADV_REMOVE), X(MADV_DONTFORK),
	X(MADV_DOFORK), X(MADV_MERGEABLE), X(MADV_UNMERGEABLE),
	X(MADV_HUGEPAGE), X(MADV_NOHUGEPAGE), X(MADV_DONTDUMP), X(MADV_DODUMP),
	X(MADV_WIPEONFORK), X(MADV_KEEPONFORK), X(MADV_COLD), X(MADV_PAGEOUT),
	X(MADV_HWPOISON));
XLAT(xlat_clone_flags,
	X(CLONE_VM), X(CLONE_FS), X(CLONE_FILES), X(CLONE_SIGHAND),
	X(CLONE_PIDFD), X(CLONE_PTRACE), X(CLONE_VFORK), X(CLONE_PARENT),
	X(CLONE_THREAD), X(CLONE_NEWNS), X(CLONE_SYSVSEM), X(CLONE_SETTLS),
	X(CLONE_PARENT_SETTID), X(CLONE_CHILD_CLEARTID), X(CLONE_DETACHED),
	X(CLONE_UNTRACED), X(CLONE_CHILD_SETTID), X(CLONE_NEWCGROUP),
	X(CLONE_NEWUTS), X(CLONE_NEWIPC), X(CLONE_NEWUSER), X(CLONE_NEWPID),
	X(CLONE_NEWNET), X(CLONE_IO));
XLAT(xlat_fcntl_cmds,
	X(F_DUPFD), X(F_GETFD), X(F_SETFD), X(F_GETFL), X(F_SETFL),
	X(F_GETLK), X(F_SETLK), X(F_SETLKW), X(F_SETOWN), X(F_GETOWN),
	X(F_SETSIG), X(F_GETSIG), X(F_SETOWN_EX), X(F_GETOWN_EX),
	X(F_OFD_GETLK), X(F_OFD_SETLK), X(F_OFD_SETLKW), X(F_SETLEASE),
	X(F_GETLEASE), X(F_NOTIFY), X(F_DUPFD_CLOEXEC), X(F_SETPIPE_SZ),
	X(F_GETPIPE_SZ), X(F_ADD_SEALS), X(F_GET_SEALS));
XLAT(xlat_fd_flags, X(FD_CLOEXEC));
XLAT(xlat_file_types,
	X(S_IFREG), X(S_IFSOCK), X(S_IFIFO), X(S_IFLNK), X(S_IFDIR),
	X(S_IFBLK), X(S_IFCHR));
XLAT(xlat_statx_mask,
	X(STATX_ALL), X(STATX_BASIC_STATS), X(STATX_TYPE), X(STATX_MODE),
	X(STATX_NLINK), X(STATX_UID), X(STATX_GID), X(STATX_ATIME),
	X(STATX_MTIME), X(STATX_CTIME), X(STATX_INO), X(STATX_SIZE),
	X(STATX_BLOCKS), X(STATX_BTIME), X(STATX_MNT_ID));
XLAT(xlat_wait_options,
	X(WNOHANG), X(WUNTRACED), X(WCONTINUED), X(__WNOTHREAD), X(__WALL),
	X(__WCLONE));
XLAT(xlat_sigprocmask_how, X(SIG_BLOCK), X(SIG_UNBLOCK), X(SIG_SETMASK));
XLAT(xlat_sa_flags,
	{ 0x04000000, "SA_RESTORER" }, X(SA_ONSTACK), X(SA_RESTART), X(SA_NODEFER),
	X(SA_RESETHAND), X(SA_SIGINFO), X(SA_NOCLDSTOP), X(SA_NOCLDWAIT));
XLAT(xlat_rename_flags, X(RENAME_NOREPLACE), X(RENAME_EXCHANGE), X(RENAME_WHITEOUT));
XLAT(xlat_address_families,
	X(AF_UNSPEC), X(AF_UNIX), X(AF_INET), X(AF_INET6), X(AF_NETLINK),
	X(AF_PACKET), X(AF_BLUETOOTH), X(AF_ALG), X(AF_VSOCK));
XLAT(xlat_socket_types,
	X(SOCK_STREAM), X(SOCK_DGRAM), X(SOCK_RAW), X(SOCK_RDM),
	X(SOCK_SEQPACKET), X(SOCK_DCCP), X(SOCK_PACKET));
XLAT(xlat_socket_flags, X(SOCK_CLOEXEC), X(SOCK_NONBLOCK));
XLAT(xlat_ip_protocols,
	X(IPPROTO_IP), X(IPPROTO_ICMP), X(IPPROTO_TCP), X(IPPROTO_UDP),
	X(IPPROTO_IPV6), X(IPPROTO_ICMPV6), X(IPPROTO_SCTP), X(IPPROTO_RAW));
XLAT(xlat_si_codes,
	X(SI_USER), X(SI_KERNEL), X(SI_QUEUE), X(SI_TIMER), X(SI_MESGQ),
	X(SI_ASYNCIO), X(SI_SIGIO), X(SI_TKILL), X(SI_ASYNCNL));
XLAT(xlat_cld_codes,
	X(CLD_EXITED), X(CLD_KILLED), X(CLD_DUMPED), X(CLD_TRAPPED),
	X(CLD_STOPPED), X(CLD_CONTINUED));
XLAT(xlat_segv_codes, X(SEGV_MAPERR), X(SEGV_ACCERR), X(SEGV_BNDERR), X(SEGV_PKUERR));
XLAT(xlat_bus_codes, X(BUS_ADRALN), X(BUS_ADRERR), X(BUS_OBJERR), X(BUS_MCEERR_AR), X(BUS_MCEERR_AO));
XLAT(xlat_ill_codes,
	X(ILL_ILLOPC), X(ILL_ILLOPN), X(ILL_ILLADR), X(ILL_ILLTRP),
	X(ILL_PRVOPC), X(ILL_PRVREG), X(ILL_COPROC), X(ILL_BADSTK));
XLAT(xlat_fpe_codes,
	X(FPE_INTDIV), X(FPE_INTOVF), X(FPE_FLTDIV), X(FPE_FLTOVF),
	X(FPE_FLTUND), X(FPE_FLTRES), X(FPE_FLTINV), X(FPE_FLTSUB));
XLAT(xlat_trap_codes, X(TRAP_BRKPT), X(TRAP_TRACE), X(TRAP_BRANCH), X(TRAP_HWBKPT));
/* arch_prctl codes are the same on every architecture that has the call. */
XLAT(xlat_arch_prctl,
	{ 0x1001, "ARCH_SET_GS" }, { 0x1002, "ARCH_SET_FS" }, { 0x1003, "ARCH_GET_FS" },
	{ 0x1004, "ARCH_GET_GS" }, { 0x1011, "ARCH_GET_CPUID" }, { 0x1012, "ARCH_SET_CPUID" }
	);
XLAT(xlat_rlimits,
	X(RLIMIT_CPU), X(RLIMIT_FSIZE), X(RLIMIT_DATA), X(RLIMIT_STACK),
	X(RLIMIT_CORE), X(RLIMIT_RSS), X(RLIMIT_NPROC), X(RLIMIT_NOFILE),
	X(RLIMIT_MEMLOCK), X(RLIMIT_AS), X(RLIMIT_LOCKS), X(RLIMIT_SIGPENDING),
	X(RLIMIT_MSGQUEUE), X(RLIMIT_NICE), X(RLIMIT_RTPRIO), X(RLIMIT_RTTIME));
XLAT(xlat_fadvise,
	X(POSIX_FADV_NORMAL), X(POSIX_FADV_RANDOM), X(POSIX_FADV_SEQUENTIAL),
	X(POSIX_FADV_WILLNEED), X(POSIX_FADV_DONTNEED), X(POSIX_FADV_NOREUSE));
XLAT(xlat_ioctl_cmds,
	X(TCGETS), X(TCSETS), X(TCSETSW), X(TCSETSF), X(TCGETA), X(TCSETA),
	X(TCSETAW), X(TCSETAF), X(TCSBRK), X(TCXONC), X(TCFLSH), X(TIOCEXCL),
	X(TIOCNXCL), X(TIOCSCTTY), X(TIOCGPGRP), X(TIOCSPGRP), X(TIOCOUTQ),
	X(TIOCSTI), X(TIOCGWINSZ), X(TIOCSWINSZ), X(TIOCMGET), X(TIOCMSET),
	X(FIONREAD), X(TIOCLINUX), X(TIOCCONS), X(FIONBIO), X(TIOCNOTTY),
	X(TIOCSETD), X(TIOCGETD), X(TIOCGPTN), X(TIOCSPTLCK), X(TIOCGSID),
	X(FIONCLEX), X(FIOCLEX), X(FIOASYNC), X(TIOCGPTPEER), X(FIGETBSZ),
	X(FS_IOC_GETFLAGS), X(FS_IOC_SETFLAGS), { FICLONE, "BTRFS_IOC_CLONE or FICLONE" });
XLAT(xlat_termios_iflags,
	X(IGNBRK), X(BRKINT), X(IGNPAR), X(PARMRK), X(INPCK), X(ISTRIP),
	X(INLCR), X(IGNCR), X(ICRNL), X(IUCLC), X(IXON), X(IXANY), X(IXOFF),
	X(IMAXBEL), X(IUTF8));
XLAT(xlat_termios_oflags,
	X(OPOST), X(OLCUC), X(ONLCR), X(OCRNL), X(ONOCR), X(ONLRET), X(OFILL),
	X(OFDEL));
XLAT(xlat_termios_cflags,
	X(CSTOPB), X(CREAD), X(PARENB), X(PARODD), X(HUPCL), X(CLOCAL),
	X(CMSPAR), X(CRTSCTS));
XLAT(xlat_termios_lflags,
	X(ISIG), X(ICANON), X(XCASE), X(ECHO), X(ECHOE), X(ECHOK), X(ECHONL),
	X(NOFLSH), X(TOSTOP), X(IEXTEN), X(ECHOCTL), X(ECHOPRT), X(ECHOKE),
	X(FLUSHO), X(PENDIN), X(EXTPROC));
XLAT(xlat_baud,
	X(B0), X(B50), X(B75), X(B110), X(B134), X(B150), X(B200), X(B300),
	X(B600), X(B1200), X(B1800), X(B2400), X(B4800), X(B9600), X(B19200),
	X(B38400), X(B57600), X(B115200), X(B230400), X(B460800), X(B500000),
	X(B576000), X(B921600), X(B1000000), X(B1152000), X(B1500000),
	X(B2000000), X(B2500000), X(B3000000), X(B3500000), X(B4000000));
XLAT(xlat_prctl_options,
	X(PR_SET_PDEATHSIG), X(PR_GET_PDEATHSIG), X(PR_GET_DUMPABLE),
	X(PR_SET_DUMPABLE), X(PR_GET_KEEPCAPS), X(PR_SET_KEEPCAPS),
	X(PR_SET_NAME), X(PR_GET_NAME), X(PR_GET_SECCOMP), X(PR_SET_SECCOMP),
	X(PR_CAPBSET_READ), X(PR_CAPBSET_DROP), X(PR_GET_TIMERSLACK),
	X(PR_SET_TIMERSLACK), X(PR_SET_MM), X(PR_SET_CHILD_SUBREAPER),
	X(PR_GET_CHILD_SUBREAPER), X(PR_SET_NO_NEW_PRIVS),
	X(PR_GET_NO_NEW_PRIVS), X(PR_GET_TID_ADDRESS), X(PR_SET_THP_DISABLE),
	X(PR_GET_THP_DISABLE), X(PR_CAP_AMBIENT), X(PR_SET_PTRACER),
	X(PR_SET_VMA));
XLAT(xlat_clocks,
	X(CLOCK_REALTIME), X(CLOCK_MONOTONIC), X(CLOCK_PROCESS_CPUTIME_ID),
	X(CLOCK_THREAD_CPUTIME_ID), X(CLOCK_MONOTONIC_RAW), X(CLOCK_REALTIME_COARSE),
	X(CLOCK_MONOTONIC_COARSE), X(CLOCK_BOOTTIME), X(CLOCK_REALTIME_ALARM),
	X(CLOCK_BOOTTIME_ALARM), X(CLOCK_TAI));
XLAT(xlat_timer_flags, X(TIMER_ABSTIME));
XLAT(xlat_epoll_flags, X(EPOLL_CLOEXEC));
XLAT(xlat_msg_flags,
	X(MSG_OOB), X(MSG_PEEK), X(MSG_DONTROUTE), X(MSG_CTRUNC), X(MSG_PROXY),
	X(MSG_TRUNC), X(MSG_DONTWAIT), X(MSG_EOR), X(MSG_WAITALL), X(MSG_FIN),
	X(MSG_SYN), X(MSG_CONFIRM), X(MSG_RST), X(MSG_ERRQUEUE), X(MSG_NOSIGNAL),
	X(MSG_MORE), X(MSG_WAITFORONE), X(MSG_FASTOPEN), X(MSG_CMSG_CLOEXEC));
XLAT(xlat_poll_events,
	X(POLLIN), X(POLLPRI), X(POLLOUT), X(POLLERR), X(POLLHUP), X(POLLNVAL),
	X(POLLRDNORM), X(POLLRDBAND), X(POLLWRNORM), X(POLLWRBAND), X(POLLMSG),
	X(POLLREMOVE), X(POLLRDHUP));
XLAT(xlat_flock_ops, X(LOCK_SH), X(LOCK_EX), X(LOCK_NB), X(LOCK_UN), X(LOCK_MAND));
XLAT(xlat_lock_types, X(F_RDLCK), X(F_WRLCK), X(F_UNLCK));
XLAT(xlat_sigaltstack_flags, X(SS_ONSTACK), X(SS_DISABLE), { 1u << 31, "SS_AUTODISARM" });
XLAT(xlat_resolve_flags,
	X(RESOLVE_NO_XDEV), X(RESOLVE_NO_MAGICLINKS), X(RESOLVE_NO_SYMLINKS),
	X(RESOLVE_BENEATH), X(RESOLVE_IN_ROOT), X(RESOLVE_CACHED));
XLAT(xlat_rusage_who, X(RUSAGE_SELF), X(RUSAGE_THREAD), { (uint64_t)(int64_t)RUSAGE_CHILDREN, "RUSAGE_CHILDREN" });
XLAT(xlat_fs_magic,
	X(EXT2_SUPER_MAGIC), X(TMPFS_MAGIC), X(PROC_SUPER_MAGIC), X(SYSFS_MAGIC),
	X(OVERLAYFS_SUPER_MAGIC), X(BTRFS_SUPER_MAGIC), X(XFS_SUPER_MAGIC),
	X(DEVPTS_SUPER_MAGIC), X(CGROUP2_SUPER_MAGIC), X(NFS_SUPER_MAGIC),
	X(SELINUX_MAGIC), X(SECURITYFS_MAGIC), X(DEBUGFS_MAGIC), X(TRACEFS_MAGIC),
	X(BPF_FS_MAGIC), X(FUSE_SUPER_MAGIC), X(SQUASHFS_MAGIC), X(MSDOS_SUPER_MAGIC),
	X(RAMFS_MAGIC));
XLAT(xlat_statfs_flags,
	{ 0x0020, "ST_VALID" }, X(ST_RDONLY), X(ST_NOSUID), X(ST_NODEV), X(ST_NOEXEC),
	X(ST_SYNCHRONOUS), X(ST_MANDLOCK), X(ST_NOATIME), X(ST_NODIRATIME),
	X(ST_RELATIME));
XLAT(xlat_getrandom_flags, X(GRND_NONBLOCK), X(GRND_RANDOM), X(GRND_INSECURE));
XLAT(xlat_futex_ops,
	X(FUTEX_WAIT), X(FUTEX_WAKE), X(FUTEX_FD), X(FUTEX_REQUEUE),
	X(FUTEX_CMP_REQUEUE), X(FUTEX_WAKE_OP), X(FUTEX_LOCK_PI),
	X(FUTEX_UNLOCK_PI), X(FUTEX_TRYLOCK_PI), X(FUTEX_WAIT_BITSET),
	X(FUTEX_WAKE_BITSET), X(FUTEX_WAIT_REQUEUE_PI), X(FUTEX_CMP_REQUEUE_PI),
	X(FUTEX_WAIT_PRIVATE), X(FUTEX_WAKE_PRIVATE), X(FUTEX_REQUEUE_PRIVATE),
	X(FUTEX_CMP_REQUEUE_PRIVATE), X(FUTEX_WAKE_OP_PRIVATE),
	X(FUTEX_LOCK_PI_PRIVATE), X(FUTEX_UNLOCK_PI_PRIVATE),
	X(FUTEX_TRYLOCK_PI_PRIVATE), X(FUTEX_WAIT_BITSET_PRIVATE),
	X(FUTEX_WAKE_BITSET_PRIVATE), { FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, "FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME" },
	{ FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, "FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME" });

/* Signal numbers are the kernel's: SIGRTMIN is 32 there, whatever libc
 * reserves for itself. */
#define KERNEL_SIGRTMIN 32
#define KERNEL_NSIG 64
#define S(name) [name] = #name
static const char *const signal_names[KERNEL_SIGRTMIN] = {
	S(SIGHUP), S(SIGINT), S(SIGQUIT), S(SIGILL), S(SIGTRAP), S(SIGABRT),
	S(SIGBUS), S(SIGFPE), S(SIGKILL), S(SIGUSR1), S(SIGSEGV), S(SIGUSR2),
	S(SIGPIPE), S(SIGALRM), S(SIGTERM), S(SIGSTKFLT), S(SIGCHLD),
	S(SIGCONT), S(SIGSTOP), S(SIGTSTP), S(SIGTTIN), S(SIGTTOU), S(SIGURG),
	S(SIGXCPU), S(SIGXFSZ), S(SIGVTALRM), S(SIGPROF), S(SIGWINCH), S(SIGIO),
	S(SIGPWR), S(SIGSYS),
};

const char *xlat_signal_name(int sig)
{
	static char rt_names[KERNEL_NSIG + 1][12];
	if (sig > 0 && sig < KERNEL_SIGRTMIN)
		return signal_names[sig];
	if (sig == KERNEL_SIGRTMIN)
		return "SIGRTMIN";
	if (sig > KERNEL_SIGRTMIN && sig <= KERNEL_NSIG) {
		if (!rt_names[sig][0])
			snprintf(rt_names[sig], sizeof rt_names[sig], "SIGRT_%d", sig - KERNEL_SIGRTMIN);
		return rt_names[sig];
	}
	return NULL;
}

void xlat_print_signal(struct pbuf *b, uint64_t sig)
{
	const char *name = sig <= KERNEL_NSIG ? xlat_signal_name((int)sig) : NULL;
	if (name)
		pb_puts(b, name);
	else
		pb_dec(b, (int64_t)(int)sig);
}

#define E(name) [name] = #name
static const char *const errno_names[] = {
	E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG),
	E(ENOEXEC), E(EBADF), E(ECHILD), E(EAGAIN), E(ENOMEM), E(EACCES),
	E(EFAULT), E(ENOTBLK), E(EBUSY), E(EEXIST), E(EXDEV), E(ENODEV),
	E(ENOTDIR), E(EISDIR), E(EINVAL), E(ENFILE), E(EMFILE), E(ENOTTY),
	E(ETXTBSY), E(EFBIG), E(ENOSPC), E(ESPIPE), E(EROFS), E(EMLINK),
	E(EPIPE), E(EDOM), E(ERANGE), E(EDEADLK), E(ENAMETOOLONG), E(ENOLCK),
	E(ENOSYS), E(ENOTEMPTY), E(ELOOP), E(ENOMSG), E(EIDRM), E(ECHRNG),
	E(EL2NSYNC), E(EL3HLT), E(EL3RST), E(ELNRNG), E(EUNATCH), E(ENOCSI),
	E(EL2HLT), E(EBADE), E(EBADR), E(EXFULL), E(ENOANO), E(EBADRQC),
	E(EBADSLT), E(EBFONT), E(ENOSTR), E(ENODATA), E(ETIME), E(ENOSR),
	E(ENONET), E(ENOPKG), E(EREMOTE), E(ENOLINK), E(EADV), E(ESRMNT),
	E(ECOMM), E(EPROTO), E(EMULTIHOP), E(EDOTDOT), E(EBADMSG),
	E(EOVERFLOW), E(ENOTUNIQ), E(EBADFD), E(EREMCHG), E(ELIBACC),
	E(ELIBBAD), E(ELIBSCN), E(ELIBMAX), E(ELIBEXEC), E(EILSEQ),
	E(ERESTART), E(ESTRPIPE), E(EUSERS), E(ENOTSOCK), E(EDESTADDRREQ),
	E(EMSGSIZE), E(EPROTOTYPE), E(ENOPROTOOPT), E(EPROTONOSUPPORT),
	E(ESOCKTNOSUPPORT), E(EOPNOTSUPP), E(EPFNOSUPPORT), E(EAFNOSUPPORT),
	E(EADDRINUSE), E(EADDRNOTAVAIL), E(ENETDOWN), E(ENETUNREACH),
	E(ENETRESET), E(ECONNABORTED), E(ECONNRESET), E(ENOBUFS), E(EISCONN),
	E(ENOTCONN), E(ESHUTDOWN), E(ETOOMANYREFS), E(ETIMEDOUT),
	E(ECONNREFUSED), E(EHOSTDOWN), E(EHOSTUNREACH), E(EALREADY),
	E(EINPROGRESS), E(ESTALE), E(EUCLEAN), E(ENOTNAM), E(ENAVAIL),
	E(EISNAM), E(EREMOTEIO), E(EDQUOT), E(ENOMEDIUM), E(EMEDIUMTYPE),
	E(ECANCELED), E(ENOKEY), E(EKEYEXPIRED), E(EKEYREVOKED),
	E(EKEYREJECTED), E(EOWNERDEAD), E(ENOTRECOVERABLE), E(ERFKILL),
	E(EHWPOISON),
};

/* The kernel's internal codes (include/linux/errno.h) that a tracer sees at
 * syscall exit when a signal interrupted the call. */
static const struct {
	int err;
	const char *name, *text;
} kernel_errnos[] = {
	{ 512, "ERESTARTSYS", "To be restarted if SA_RESTART is set" },
	{ 513, "ERESTARTNOINTR", "To be restarted" },
	{ 514, "ERESTARTNOHAND", "To be restarted if no handler" },
	{ 515, "ENOIOCTLCMD", "No ioctl command" },
	{ 516, "ERESTART_RESTARTBLOCK", "Interrupted by signal" },
	{ 517, "EPROBE_DEFER", "Driver requests probe retry" },
	{ 518, "EOPENSTALE", "Open found a stale dentry" },
	{ 519, "ENOPARAM", "Parameter not supported" },
	{ 521, "EBADHANDLE", "Illegal NFS file handle" },
	{ 522, "ENOTSYNC", "Update synchronization mismatch" },
	{ 523, "EBADCOOKIE", "Cookie is stale" },
	{ 524, "ENOTSUPP", "Operation is not supported" },
	{ 525, "ETOOSMALL", "Buffer or request is too small" },
	{ 526, "ESERVERFAULT", "An untranslatable error occurred" },
	{ 527, "EBADTYPE", "Type not supported by server" },
	{ 528, "EJUKEBOX", "Request initiated, but will not complete before timeout" },
	{ 529, "EIOCBQUEUED", "iocb queued, will get completion event" },
	{ 530, "ERECALLCONFLICT", "Conflict with recalled state" },
};

const char *xlat_errno_name(int err)
{
	if (err > 0 && (size_t)err < sizeof errno_names / sizeof errno_names[0] && errno_names[err])
		return errno_names[err];
	for (size_t i = 0; i < sizeof kernel_errnos / sizeof kernel_errnos[0]; i++)
		if (kernel_errnos[i].err == err)
			return kernel_errnos[i].name;
	return NULL;
}

const char *xlat_errno_text(int err)
{
	for (size_t i = 0; i < sizeof kernel_errnos / sizeof kernel_errnos[0]; i++)
		if (kernel_errnos[i].err == err)
			return kernel_errnos[i].text;
	return strerror(err);
}
