#ifndef SCENEFLOW_CCURL_SHIM_H
#define SCENEFLOW_CCURL_SHIM_H

// libcurl for Swift. `curl_easy_setopt`, `curl_easy_getinfo` and `curl_multi_setopt` are
// variadic and do not import; these typed wrappers do. Only SceneFlowHTTP imports this module.
#include <curl/curl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

typedef size_t (*sf_curl_data_callback)(char *data, size_t size, size_t count, void *context);

static inline CURLcode sf_curl_set_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode sf_curl_set_offset(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}
/// libcurl copies string options (since 7.17), so a temporary Swift string is safe here.
static inline CURLcode sf_curl_set_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode sf_curl_set_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode sf_curl_set_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode sf_curl_set_callback(CURL *handle, CURLoption option, sf_curl_data_callback value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode sf_curl_get_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}
static inline CURLcode sf_curl_get_offset(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}
static inline CURLcode sf_curl_get_pointer(CURL *handle, CURLINFO info, void **value) {
    return curl_easy_getinfo(handle, info, value);
}
static inline CURLcode sf_curl_get_string(CURL *handle, CURLINFO info, char **value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLMcode sf_curl_multi_set_long(CURLM *multi, CURLMoption option, long value) {
    return curl_multi_setopt(multi, option, value);
}

typedef int (*sf_curl_socket_callback)(CURL *easy, curl_socket_t socket, int what, void *context, void *socket_context);
typedef int (*sf_curl_timer_callback)(CURLM *multi, long timeout_ms, void *context);

static inline CURLMcode sf_curl_multi_set_pointer(CURLM *multi, CURLMoption option, void *value) {
    return curl_multi_setopt(multi, option, value);
}
static inline CURLMcode sf_curl_multi_set_socket_callback(CURLM *multi, sf_curl_socket_callback value) {
    return curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, value);
}
static inline CURLMcode sf_curl_multi_set_timer_callback(CURLM *multi, sf_curl_timer_callback value) {
    return curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, value);
}

// epoll for the transfer thread (`struct epoll_event` is packed on x86-64, awkward from Swift).
/// Adds, changes or (with `events` 0) removes `fd`; `what` is a CURL_POLL_* value.
static inline int sf_epoll_watch(int epfd, int fd, int what, int known) {
    struct epoll_event event = {0};
    event.data.fd = fd;
    if (what == CURL_POLL_REMOVE) return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
    if (what & CURL_POLL_IN) event.events |= EPOLLIN;
    if (what & CURL_POLL_OUT) event.events |= EPOLLOUT;
    return epoll_ctl(epfd, known ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &event);
}
/// Waits; fills `fds` and `flags` (CURL_CSELECT_IN/OUT/ERR) and returns how many.
static inline int sf_epoll_wait(int epfd, int *fds, int *flags, int capacity, int timeout_ms) {
    struct epoll_event events[256];
    if (capacity > 256) capacity = 256;
    int n = epoll_wait(epfd, events, capacity, timeout_ms);
    for (int i = 0; i < n; i++) {
        fds[i] = events[i].data.fd;
        int f = 0;
        if (events[i].events & EPOLLIN) f |= CURL_CSELECT_IN;
        if (events[i].events & EPOLLOUT) f |= CURL_CSELECT_OUT;
        if (events[i].events & (EPOLLERR | EPOLLHUP)) f |= CURL_CSELECT_ERR;
        flags[i] = f;
    }
    return n;
}
static inline int sf_epoll_add_reader(int epfd, int fd) {
    struct epoll_event event = {0};
    event.events = EPOLLIN;
    event.data.fd = fd;
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event);
}

/// `CURLMsg.data` is a union; Swift sees it, but this reads the result code plainly.
static inline CURLcode sf_curl_msg_result(CURLMsg *message) { return message->data.result; }

#endif
