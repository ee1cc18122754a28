#ifndef SCENEFLOW_CCURL_SHIM_H
#define SCENEFLOW_CCURL_SHIM_H

// libcurl for Swift. `curl_easy_setopt`, `curl_easy_getinfo` and `curl_multi_setopt` are
// variadic and do not import; these typed wrappers do. Only SceneFlowHTTP imports this module.
#include <curl/curl.h>

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

/// `CURLMsg.data` is a union; Swift sees it, but this reads the result code plainly.
static inline CURLcode sf_curl_msg_result(CURLMsg *message) { return message->data.result; }

#endif
