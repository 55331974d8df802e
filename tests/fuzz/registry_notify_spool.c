/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for what the registry reads back from its notifications spool and inbox
 * (registry/notify_spool.c): the input is a file name, a newline, then the file's bytes. The
 * name goes through the spool, inbox and temp-file name checks (a name with '/' is never
 * accepted; a spool sequence number is always below 2^63); the bytes through the event
 * check. An accepted event's serialisation is one JSON object that checks again to the same
 * text, and embedded in an envelope it is exactly one event: a file cannot splice anything
 * into what is POSTed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry/notify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
names(const uint8_t *data, size_t n)
{
    char name[256];
    if (n >= sizeof(name)) {
        return;
    }
    memcpy(name, data, n);
    name[n] = '\0';
    if (strlen(name) != n) {
        return; /* a directory entry's name has no NUL: the C string would be another name */
    }
    bool slash = memchr(data, '/', n) != NULL;
    uint64_t seq = 0;
    bool spool = vg_registry_notify_spool_name(name, &seq);
    bool inbox = vg_registry_notify_inbox_name(name);
    bool temp = vg_registry_notify_temp_name(name);
    if (slash && (spool || inbox || temp)) {
        abort();
    }
    if ((spool && seq > (UINT64_MAX >> 1)) || (spool && inbox) || ((spool || inbox) && temp)) {
        abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t nlen = nl ? (size_t)(nl - data) : size;
    names(data, nlen);
    const uint8_t *body = nl ? nl + 1 : data + size;
    size_t blen = size - (size_t)(body - data);
    char *out = NULL;
    struct vg_err *err = NULL;
    if (vg_registry_notify_event_check(&out, body, blen, &err) < 0) {
        if (!err || out) {
            abort();
        }
        vg_err_free(&err);
        return 0;
    }
    /* The envelope the server POSTs around it holds exactly this one event. */
    char *env = vg_fmt("{\"events\":[%s]}", out);
    json_t *doc = NULL;
    if (vg_json_parse(&doc, env, strlen(env), strlen(env) + 1, "envelope", NULL) < 0 ||
        json_array_size(vg_json_arr(doc, "events")) != 1 ||
        !json_is_object(json_array_get(vg_json_arr(doc, "events"), 0))) {
        abort();
    }
    json_decref(doc);
    free(env);
    char *again = NULL;
    if (vg_registry_notify_event_check(&again, out, strlen(out), NULL) < 0 ||
        strcmp(again, out) != 0) {
        abort();
    }
    free(again);
    free(out);
    return 0;
}
