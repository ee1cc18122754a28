#define _GNU_SOURCE
#include "sceneflow_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* In the child: every descriptor from 3 up is closed at execve. close_range(2) where the kernel
   has it (5.11+), else one fcntl per possible descriptor. */
static void mark_cloexec_from_3(void) {
#ifdef SYS_close_range
    if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
#endif
    for (int fd = 3; fd < 65536; fd++) {
        int flags = fcntl(fd, F_GETFD);
        if (flags >= 0) fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
    }
}

/* dup2 onto `target`; when the descriptor already is `target`, dup2 is a no-op that keeps
   close-on-exec, so clear it by hand. */
static int place(int fd, int target) {
    if (fd == target) {
        int flags = fcntl(fd, F_GETFD);
        return flags < 0 ? -1 : fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
    }
    return dup2(fd, target) < 0 ? -1 : 0;
}

pid_t sceneflow_spawn(const sceneflow_spawn_request *r, int *error_number) {
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) { *error_number = errno; return -1; }
    pid_t parent = getpid();

    /* No signal handler of the parent may run in the child before its dispositions are reset. */
    sigset_t all, saved;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &saved);

    pid_t pid = fork();
    if (pid == 0) {
        int e = 0;
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        for (int s = 1; s < NSIG; s++) {
            if (s != SIGKILL && s != SIGSTOP) sigaction(s, &dfl, NULL);
        }
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) { e = errno; goto fail; }
        if (getppid() != parent) _exit(127);   /* the parent died before prctl took effect */
        setpgid(0, 0);

        int in = r->stdin_fd, out = r->stdout_fd, err = r->stderr_fd;
        if (in < 0 || out < 0 || err < 0) {
            int null = open("/dev/null", O_RDWR | O_CLOEXEC);
            if (null < 0) { e = errno; goto fail; }
            if (in < 0) in = null;
            if (out < 0) out = null;
            if (err < 0) err = null;
        }
        /* Move the sources above 2 first, so that placing one cannot clobber another. */
        int fds[3] = {in, out, err};
        for (int i = 0; i < 3; i++) {
            if (fds[i] <= 2) {
                int moved = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
                if (moved < 0) { e = errno; goto fail; }
                fds[i] = moved;
            }
        }
        for (int i = 0; i < 3; i++) {
            if (place(fds[i], i) != 0) { e = errno; goto fail; }
        }
        if (r->cwd != NULL && chdir(r->cwd) != 0) { e = errno; goto fail; }
        mark_cloexec_from_3();
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execve(r->path, r->argv, r->envp);
        e = errno;
    fail:
        while (write(report[1], &e, sizeof e) < 0 && errno == EINTR) {}
        _exit(127);
    }

    int fork_errno = errno;
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    close(report[1]);
    if (pid < 0) {
        close(report[0]);
        *error_number = fork_errno;
        return -1;
    }
    int child_errno = 0;
    ssize_t n;
    do { n = read(report[0], &child_errno, sizeof child_errno); } while (n < 0 && errno == EINTR);
    close(report[0]);
    if (n == (ssize_t)sizeof child_errno) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        *error_number = child_errno;
        return -1;
    }
    return pid;
}

int sceneflow_pidfd_open(pid_t pid) {
#ifdef SYS_pidfd_open
    long fd = syscall(SYS_pidfd_open, pid, 0);
    if (fd >= 0) {
        fcntl((int)fd, F_SETFD, FD_CLOEXEC);
        return (int)fd;
    }
#endif
    return -1;
}

int sceneflow_pipe(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int sceneflow_has_exited(pid_t pid) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    int rc;
    do { rc = waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT); } while (rc < 0 && errno == EINTR);
    if (rc < 0) return -1;
    return info.si_pid == pid ? 1 : 0;
}

int sceneflow_reap(pid_t pid, int *exited, int *code) {
    int status = 0;
    pid_t rc;
    do { rc = waitpid(pid, &status, 0); } while (rc < 0 && errno == EINTR);
    if (rc < 0) return -1;
    if (WIFEXITED(status)) { *exited = 1; *code = WEXITSTATUS(status); }
    else { *exited = 0; *code = WIFSIGNALED(status) ? WTERMSIG(status) : 0; }
    return 0;
}
