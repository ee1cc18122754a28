#ifndef SCENEFLOW_CGRAPHVIZ_SHIM_H
#define SCENEFLOW_CGRAPHVIZ_SHIM_H

#include <graphviz/gvc.h>
#include <graphviz/cgraph.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* --- Deterministic layouts -------------------------------------------------------------------
   libcgraph's default ID discipline gives a named object (a cluster) the address of its interned
   name as its ID, and dot visits clusters in ID order. With malloc, that order depends on the
   process's allocation history, so the same diagram could lay out differently in a long-running
   process than in a fresh `dot`. Each graph therefore gets a bump allocator over one contiguous
   reserved mapping: addresses, and so IDs, follow creation order, every time. Freed memory is
   reclaimed all at once when the graph is closed. */

typedef struct {
    char *base;
    size_t used;
    size_t capacity;
} sceneflow_arena;

/* Address space only (MAP_NORESERVE); pages are committed as they are touched. */
#define SCENEFLOW_ARENA_RESERVE ((size_t)4 << 30)

static inline void *sceneflow_arena_open(Agdisc_t *disc) {
    (void)disc;
    sceneflow_arena *arena = calloc(1, sizeof(sceneflow_arena));
    if (arena == NULL) return NULL;
    void *base = mmap(NULL, SCENEFLOW_ARENA_RESERVE, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) { free(arena); return NULL; }
    arena->base = base;
    arena->capacity = SCENEFLOW_ARENA_RESERVE;
    return arena;
}

static inline void *sceneflow_arena_alloc(void *state, size_t request) {
    sceneflow_arena *arena = state;
    size_t size = (request + 15) & ~(size_t)15;
    if (size == 0) size = 16;
    if (arena->used + size > arena->capacity) return NULL;
    void *p = arena->base + arena->used;   /* fresh anonymous pages are already zeroed */
    arena->used += size;
    return p;
}

static inline void *sceneflow_arena_resize(void *state, void *ptr, size_t old, size_t request) {
    void *p = sceneflow_arena_alloc(state, request);
    if (p != NULL && ptr != NULL) memcpy(p, ptr, old < request ? old : request);
    return p;
}

static inline void sceneflow_arena_free(void *state, void *ptr) { (void)state; (void)ptr; }

static inline void sceneflow_arena_close(void *state) {
    sceneflow_arena *arena = state;
    munmap(arena->base, arena->capacity);
    free(arena);
}

/* `Agdirected` is a mutable C global, which Swift 6 rejects as not concurrency-safe; reading it
   here keeps it out of Swift entirely. */
static inline Agraph_t *sceneflow_agopen_directed(char *name) {
    static Agmemdisc_t memory = {
        sceneflow_arena_open, sceneflow_arena_alloc, sceneflow_arena_resize,
        sceneflow_arena_free, sceneflow_arena_close,
    };
    static Agdisc_t discipline;
    discipline.mem = &memory;
    discipline.id = &AgIdDisc;
    discipline.io = &AgIoDisc;
    return agopen(name, Agdirected, &discipline);
}

/* agwrite() writes to a FILE* through the default I/O discipline; an in-memory stream turns
   the graph back into DOT text without touching the file system. The caller frees *out. */
static inline int sceneflow_agwrite_to_memory(Agraph_t *g, char **out, size_t *length) {
    FILE *stream = open_memstream(out, length);
    if (stream == NULL) return -1;
    int status = agwrite(g, stream);
    if (fclose(stream) != 0) return -1;
    return status;
}

#endif
