#ifndef SCENEFLOW_SPAWN_H
#define SCENEFLOW_SPAWN_H

#include <sys/types.h>

/* Starting a child process safely from a multi-threaded Swift program, on Linux.

   Everything the child needs (paths, argument and environment arrays, descriptors) is prepared
   by the caller before fork(); between fork() and execve() the child only makes
   async-signal-safe system calls. The child:
   - gets SIGKILL when the thread that started it ends (PR_SET_PDEATHSIG), so a `sceneflow`
     killed with SIGKILL leaves no orphan; callers start and wait for a child on one dedicated
     thread that lives exactly as long as the child does;
   - runs in a process group of its own, so a terminal's Ctrl-C reaches only `sceneflow`, which
     then cancels its children in order (SIGTERM, then SIGKILL after a grace period);
   - starts with every signal at its default disposition and none blocked (a parent that
     ignores SIGINT or SIGPIPE must not pass that on);
   - inherits no descriptor but its standard input, output and error. */

typedef struct {
    const char *path;            /* absolute path of the executable */
    char *const *argv;           /* NULL-terminated, argv[0] included */
    char *const *envp;           /* NULL-terminated */
    const char *cwd;             /* NULL: the parent's working directory */
    int stdin_fd;                /* -1: /dev/null */
    int stdout_fd;               /* -1: /dev/null */
    int stderr_fd;               /* -1: /dev/null */
} sceneflow_spawn_request;

/* Starts the child. Returns its pid once execve() has succeeded, or -1 with *error_number set
   to the errno of what failed (fork, or in the child chdir/dup2/execve). */
pid_t sceneflow_spawn(const sceneflow_spawn_request *request, int *error_number);

/* A pollable descriptor that becomes readable when the process exits (pidfd_open), or -1 where
   the kernel has none. Close-on-exec. */
int sceneflow_pidfd_open(pid_t pid);

/* pipe2(O_CLOEXEC): no other child can inherit either end. */
int sceneflow_pipe(int fds[2]);

/* Whether the process has exited, without reaping it (waitid WNOWAIT|WNOHANG): 1 yes, 0 no,
   -1 error. */
int sceneflow_has_exited(pid_t pid);

/* Reaps an exited child. Returns 0, with exited = 1 and code = the exit status, or exited = 0 and code = the signal. */
int sceneflow_reap(pid_t pid, int *exited, int *code);

#endif
