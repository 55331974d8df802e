/* SPDX-License-Identifier: Apache-2.0
 *
 * Time limits of transfers: the stall limit (no byte moved in either direction for the client's
 * stall_timeout_s) and the client's deadline, both enforced from curl's progress callback, which
 * curl calls at least once a second whatever the transfer is doing (resolving, connecting, TLS,
 * waiting for headers, receiving). A transfer a limit ended fails with a message naming the
 * limit and the URL, and is not retried. Connect timeouts stay curl's (CURLOPT_CONNECTTIMEOUT).
 */
#include "xfer_int.h"

#define NS_PER_S 1000000000ull

static int
on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    (void)dltotal, (void)ultotal;
    struct vg_http_xfer *x = ud;
    uint64_t now = vg_now_ns();
    if (dlnow != x->last_dl || ulnow != x->last_ul || x->paused) {
        /* Bytes moved, or we paused the transfer ourselves: the server is not stalling. */
        x->last_dl = dlnow;
        x->last_ul = ulnow;
        x->last_move_ns = now;
    }
    if (x->deadline_ns && now >= x->deadline_ns) {
        x->past_deadline = true;
        return 1; /* CURLE_ABORTED_BY_CALLBACK */
    }
    if (now - x->last_move_ns >= (uint64_t)x->stall_timeout_s * NS_PER_S) {
        x->stalled = true;
        return 1;
    }
    return 0;
}

void
vg_http_xfer_set_time_limits(struct vg_http_xfer *x, const struct vg_http_client *c)
{
    x->stall_timeout_s = c->stall_timeout_s;
    x->deadline_ns = c->deadline_ns;
    x->last_move_ns = vg_now_ns();
    curl_easy_setopt(x->easy, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(x->easy, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(x->easy, CURLOPT_XFERINFODATA, x);
}

void
vg_http_xfer_touch(struct vg_http_xfer *x)
{
    x->last_move_ns = vg_now_ns();
}

bool
vg_http_deadline_passed(const struct vg_http_client *c, const char *method, const char *url,
                        struct vg_err **err)
{
    if (!c->deadline_ns || vg_now_ns() < c->deadline_ns) {
        return false;
    }
    vg_autofree char *u = vg_http_url_redact(url);
    vg_err_set(err, VG_E_NET, "%s %s: time limit reached before the request", method, u);
    return true;
}

int
vg_http_xfer_time_error(const struct vg_http_xfer *x, const char *shown_url, struct vg_err **err)
{
    if (x->past_deadline) {
        return vg_err_set(err, VG_E_NET, "%s %s: time limit reached", x->method, shown_url);
    }
    return vg_err_set(err, VG_E_NET,
                      "%s %s: stalled: no data received for %ld s (the server stopped sending)",
                      x->method, shown_url, x->stall_timeout_s);
}
