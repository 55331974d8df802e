/* SPDX-License-Identifier: Apache-2.0
 *
 * The registry client's parsers of response bytes, from memory: credential-helper answers,
 * tag-list pages and their Link pagination (the referrers pages go through oci/index.c, tested
 * in test_index.c).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "oci/oci.h"
#include "oci/remote_int.h"

static int
answer(struct vg_oci_remote_creds *c, bool *found, const char *text, struct vg_err **err)
{
    *c = (struct vg_oci_remote_creds){0};
    *found = false;
    return vg_oci_remote_creds_from_helper_answer(c, found, text, strlen(text), err);
}

static void
expect_parse_error(const char *text, const char *needle)
{
    struct vg_oci_remote_creds c;
    bool found;
    struct vg_err *err = NULL;
    cr_assert_lt(answer(&c, &found, text, &err), 0, "%s", text);
    cr_assert(vg_err_is(err, VG_E_PARSE));
    char *m = vg_err_format(err);
    cr_assert(strstr(m, needle) != NULL, "%s: %s", text, m);
    cr_assert(strstr(m, "hunter2") == NULL, "secret in message: %s", m);
    cr_assert(!found && !c.username && !c.password && !c.identity_token);
    free(m);
    vg_err_free(&err);
}

Test(oci_remote_bodies, helper_answers)
{
    struct vg_oci_remote_creds c;
    bool found;
    struct vg_err *err = NULL;
    cr_assert_eq(answer(&c, &found,
                        "{\"ServerURL\":\"https://index.docker.io/v1/\",\"Username\":\"alice\","
                        "\"Secret\":\"hunter2\"}\n",
                        &err),
                 0);
    cr_assert(found);
    cr_assert_str_eq(c.username, "alice");
    cr_assert_str_eq(c.password, "hunter2");
    cr_assert_null(c.identity_token);
    vg_oci_remote_creds_dispose(&c);
    /* Case-insensitive names (Go's decoder); "<token>" makes the secret an identity token. */
    cr_assert_eq(answer(&c, &found, "{\"username\":\"<token>\",\"SECRET\":\"rt\"}", &err), 0);
    cr_assert(found && !c.username && !c.password);
    cr_assert_str_eq(c.identity_token, "rt");
    vg_oci_remote_creds_dispose(&c);
    /* A username alone: an empty password. Neither: not found. */
    cr_assert_eq(answer(&c, &found, "{\"Username\":\"bob\"}", &err), 0);
    cr_assert(found);
    cr_assert_str_eq(c.password, "");
    vg_oci_remote_creds_dispose(&c);
    cr_assert_eq(answer(&c, &found, "{\"ServerURL\":\"x\",\"Other\":1}", &err), 0);
    cr_assert(!found && !c.username && !c.identity_token);

    expect_parse_error("not json", "not a JSON object");
    expect_parse_error("[\"alice\",\"hunter2\"]", "not a JSON object");
    expect_parse_error("{\"Username\":\"a\",\"username\":\"b\",\"Secret\":\"hunter2\"}",
                       "repeated or non-string \"Username\"");
    expect_parse_error("{\"Username\":\"a\",\"Secret\":7}", "\"Secret\"");
    expect_parse_error("{\"ServerURL\":[],\"Username\":\"a\",\"Secret\":\"hunter2\"}",
                       "\"ServerURL\"");
    expect_parse_error("{\"Username\":\"a\\r\\nX-Evil: 1\",\"Secret\":\"hunter2\"}",
                       "control characters");
    expect_parse_error("{\"Username\":\"a\",\"Secret\":\"hunter2\\u0000\"}", "control characters");
    expect_parse_error("{\"Secret\":\"hunter2\"}", "a Secret but no Username");
}

Test(oci_remote_bodies, tag_pages)
{
    char **tags = NULL;
    size_t n = 0;
    struct vg_err *err = NULL;
    static const char p1[] = "{\"name\":\"team/app\",\"tags\":[\"v1\",\"v2\"]}";
    static const char p2[] = "{\"name\":\"team/app\",\"tags\":[\"latest\"]}";
    cr_assert_eq(vg_oci_remote_tags_page_parse(p1, strlen(p1), &tags, &n, &err), 0);
    cr_assert_eq(vg_oci_remote_tags_page_parse(p2, strlen(p2), &tags, &n, &err), 0);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(tags[0], "v1");
    cr_assert_str_eq(tags[2], "latest");
    /* An empty repository answers "tags": null. */
    static const char none[] = "{\"name\":\"team/app\",\"tags\":null}";
    cr_assert_eq(vg_oci_remote_tags_page_parse(none, strlen(none), &tags, &n, &err), 0);
    cr_assert_eq(n, 3);
    static const char bad[] = "{\"tags\":[\"ok\",5]}";
    cr_assert_lt(vg_oci_remote_tags_page_parse(bad, strlen(bad), &tags, &n, &err), 0);
    cr_assert(vg_err_is(err, VG_E_PARSE));
    vg_err_free(&err);
    cr_assert_lt(vg_oci_remote_tags_page_parse("{\"tags\":[", 9, &tags, &n, &err), 0);
    cr_assert(vg_err_is(err, VG_E_PARSE));
    vg_err_free(&err);
    vg_strv_free(tags, n);
}

Test(oci_remote_bodies, page_links)
{
    static const char cur[] = "https://r.example:5000/v2/team/app/tags/list?n=2";
    char *next = NULL;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_oci_remote_page_next(cur, NULL, &next, "tags", &err), 0);
    cr_assert_null(next);
    cr_assert_eq(vg_oci_remote_page_next(cur, "</v2/team/app/tags/list?n=2&last=v2>; rel=\"next\"",
                                         &next, "tags", &err),
                 0);
    cr_assert_str_eq(next, "https://r.example:5000/v2/team/app/tags/list?n=2&last=v2");
    free(next);
    /* Another origin (host, port or scheme) is refused. */
    const char *foreign[] = {"<https://evil.example/v2/x>; rel=\"next\"",
                             "<https://r.example:5001/v2/x>; rel=\"next\"",
                             "<http://r.example:5000/v2/x>; rel=\"next\""};
    for (size_t i = 0; i < 3; i++) {
        cr_assert_lt(vg_oci_remote_page_next(cur, foreign[i], &next, "tags", &err), 0, "%s",
                     foreign[i]);
        cr_assert(vg_err_is(err, VG_E_NET));
        cr_assert_null(next);
        vg_err_free(&err);
    }
}
