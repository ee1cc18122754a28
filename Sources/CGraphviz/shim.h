#ifndef SCENEFLOW_CGRAPHVIZ_SHIM_H
#define SCENEFLOW_CGRAPHVIZ_SHIM_H

#include <graphviz/gvc.h>
#include <graphviz/cgraph.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

/* --- Deterministic layouts -------------------------------------------------------------------
   libcgraph's default ID discipline gives a named object (a cluster) the address of its interned
   name as its ID, and dot visits clusters in ID order. With malloc, that order depends on the
   process's allocation history, so the same diagram could lay out differently in a long-running
   process than in a fresh `dot`. Each graph therefore gets an ID discipline that hands out
   sequential IDs: names get even IDs in creation order (2, 4, 6...), anonymous objects odd ones
   (as libcgraph expects), and a name is found again through a hash table. Memory stays with
   libcgraph's own allocator: the layout frees some of it with the C allocator, so no other
   memory discipline may be used (an arena did, and corrupted the heap at 60 scenes). */

typedef struct {
    char **names;          /* names[i] has ID 2 * (i + 1) */
    size_t count, capacity;
    size_t *slots;         /* open addressing: index + 1, 0 = empty */
    size_t slot_count;
    IDTYPE anonymous;      /* the next odd ID */
} sceneflow_ids;

static inline uint64_t sceneflow_hash(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) { h ^= (unsigned char)*s; h *= 1099511628211ULL; }
    return h;
}

static inline void *sceneflow_ids_open(Agraph_t *g, Agdisc_t *disc) {
    (void)g; (void)disc;
    sceneflow_ids *ids = calloc(1, sizeof(sceneflow_ids));
    if (ids == NULL) return NULL;
    ids->slot_count = 1024;
    ids->slots = calloc(ids->slot_count, sizeof(size_t));
    ids->anonymous = 1;
    if (ids->slots == NULL) { free(ids); return NULL; }
    return ids;
}

static inline size_t *sceneflow_ids_slot(sceneflow_ids *ids, const char *name) {
    size_t mask = ids->slot_count - 1;
    for (size_t i = sceneflow_hash(name) & mask;; i = (i + 1) & mask) {
        size_t *slot = &ids->slots[i];
        if (*slot == 0 || strcmp(ids->names[*slot - 1], name) == 0) return slot;
    }
}

static inline int sceneflow_ids_grow(sceneflow_ids *ids) {
    size_t count = ids->slot_count * 2;
    size_t *slots = calloc(count, sizeof(size_t));
    if (slots == NULL) return 0;
    free(ids->slots);
    ids->slots = slots;
    ids->slot_count = count;
    for (size_t i = 0; i < ids->count; i++) *sceneflow_ids_slot(ids, ids->names[i]) = i + 1;
    return 1;
}

static inline long sceneflow_ids_map(void *state, int objtype, char *str, IDTYPE *id, int createflag) {
    (void)objtype;
    sceneflow_ids *ids = state;
    if (str == NULL) {
        *id = ids->anonymous;
        ids->anonymous += 2;
        return 1;
    }
    size_t *slot = sceneflow_ids_slot(ids, str);
    if (*slot != 0) { *id = 2 * (IDTYPE)(*slot); return 1; }
    if (!createflag) return 0;
    if (ids->count == ids->capacity) {
        size_t capacity = ids->capacity ? ids->capacity * 2 : 256;
        char **names = realloc(ids->names, capacity * sizeof(char *));
        if (names == NULL) return 0;
        ids->names = names;
        ids->capacity = capacity;
    }
    char *copy = strdup(str);
    if (copy == NULL) return 0;
    ids->names[ids->count++] = copy;
    *slot = ids->count;
    *id = 2 * (IDTYPE)ids->count;
    if (ids->count * 2 > ids->slot_count && !sceneflow_ids_grow(ids)) return 0;
    return 1;
}

/* Objects with an ID chosen by the caller are not used by SceneFlow. */
static inline long sceneflow_ids_alloc(void *state, int objtype, IDTYPE id) { (void)state; (void)objtype; (void)id; return 0; }

/* Names live until the graph is closed. */
static inline void sceneflow_ids_free(void *state, int objtype, IDTYPE id) { (void)state; (void)objtype; (void)id; }

static inline char *sceneflow_ids_print(void *state, int objtype, IDTYPE id) {
    (void)objtype;
    sceneflow_ids *ids = state;
    if (id % 2 != 0 || id == 0 || id / 2 > ids->count) return NULL;
    return ids->names[id / 2 - 1];
}

static inline void sceneflow_ids_close(void *state) {
    sceneflow_ids *ids = state;
    for (size_t i = 0; i < ids->count; i++) free(ids->names[i]);
    free(ids->names);
    free(ids->slots);
    free(ids);
}

static inline void sceneflow_ids_register(void *state, int objtype, void *obj) { (void)state; (void)objtype; (void)obj; }

/* `Agdirected` is a mutable C global, which Swift 6 rejects as not concurrency-safe; reading it
   here keeps it out of Swift entirely. */
static inline Agraph_t *sceneflow_agopen_directed(char *name) {
    static Agiddisc_t ids = {
        sceneflow_ids_open, sceneflow_ids_map, sceneflow_ids_alloc, sceneflow_ids_free,
        sceneflow_ids_print, sceneflow_ids_close, sceneflow_ids_register,
    };
    static Agdisc_t discipline;
    discipline.mem = &AgMemDisc;
    discipline.id = &ids;
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
