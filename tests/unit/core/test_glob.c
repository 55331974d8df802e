/* SPDX-License-Identifier: Apache-2.0
 *
 * Doublestar path globs: segments, classes, escapes, `**` at any position, directory prefixes,
 * and hostile patterns that would make a naive backtracking matcher explode.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "core/glob.h"

Test(core_glob, literal_and_root_insensitive)
{
    cr_expect(vg_glob_match("usr/lib/x", "usr/lib/x"));
    cr_expect(vg_glob_match("/usr/lib/x", "usr/lib/x"));
    cr_expect(vg_glob_match("./usr/lib/x", "/usr/lib/x"));
    cr_expect(vg_glob_match("usr/lib/", "usr/lib"));
    cr_expect(!vg_glob_match("usr/lib", "usr/lib/x"));
    cr_expect(!vg_glob_match("usr/lib/x", "usr/lib"));
    cr_expect(!vg_glob_match(NULL, "a"));
    cr_expect(!vg_glob_match("a", NULL));
}

Test(core_glob, star_stays_in_one_segment)
{
    cr_expect(vg_glob_match("app/*.json", "app/package.json"));
    cr_expect(!vg_glob_match("app/*.json", "app/sub/package.json"));
    cr_expect(vg_glob_match("*", "a"));
    cr_expect(!vg_glob_match("*", "a/b"));
    cr_expect(vg_glob_match("a*b*c", "aXXbYYbc"));
    cr_expect(!vg_glob_match("a*b*c", "aXXbYYb"));
    cr_expect(vg_glob_match("a?c", "abc"));
    cr_expect(!vg_glob_match("a?c", "a/c"));
}

Test(core_glob, classes_and_escapes)
{
    cr_expect(vg_glob_match("lib[0-9].so", "lib7.so"));
    cr_expect(!vg_glob_match("lib[0-9].so", "libx.so"));
    cr_expect(vg_glob_match("lib[!0-9].so", "libx.so"));
    cr_expect(vg_glob_match("lib[^0-9].so", "libx.so"));
    cr_expect(vg_glob_match("[]]", "]"));
    cr_expect(vg_glob_match("a\\*b", "a*b"));
    cr_expect(!vg_glob_match("a\\*b", "axb"));
    cr_expect(vg_glob_match("a[b", "a[b")); /* unclosed class: literal '[' */
}

Test(core_glob, globstar_any_depth)
{
    cr_expect(vg_glob_match("**/node_modules", "node_modules"));
    cr_expect(vg_glob_match("**/node_modules", "app/web/node_modules"));
    cr_expect(!vg_glob_match("**/node_modules", "app/node_modules/x"));
    cr_expect(vg_glob_match("**/node_modules/**", "app/node_modules/x/y"));
    cr_expect(vg_glob_match("usr/**/*.py", "usr/a.py"));
    cr_expect(vg_glob_match("usr/**/*.py", "usr/lib/python3/a.py"));
    cr_expect(!vg_glob_match("usr/**/*.py", "opt/lib/a.py"));
    cr_expect(vg_glob_match("**", "anything/at/all"));
    cr_expect(vg_glob_match("a/**/b/**/c", "a/x/b/y/z/c"));
    cr_expect(!vg_glob_match("a/**/b/**/c", "a/x/c"));
}

Test(core_glob, dir_matches_file_below_it)
{
    cr_expect(vg_glob_match_dir("**/node_modules", "app/node_modules/lodash/package.json"));
    cr_expect(vg_glob_match_dir("/usr/lib/ruby", "usr/lib/ruby/gems/x.gemspec"));
    cr_expect(vg_glob_match_dir("usr/lib/ruby", "usr/lib/ruby"));
    cr_expect(!vg_glob_match_dir("usr/lib/ruby", "usr/lib/rubyx/a"));
    cr_expect(vg_glob_match_dir("app/*/vendor", "app/svc/vendor/a/b"));
    cr_expect(!vg_glob_match_dir("app/*/vendor", "app/vendor/a"));
}

Test(core_glob, hostile_patterns_stay_fast)
{
    /* A naive recursive matcher takes exponential time on these. */
    char pat[512], path[4096];
    size_t n = 0;
    for (int i = 0; i < 60; i++) {
        pat[n++] = 'a';
        pat[n++] = '*';
    }
    pat[n++] = 'b';
    pat[n] = '\0';
    memset(path, 'a', 4000);
    path[4000] = '\0';
    cr_expect(!vg_glob_match(pat, path));

    n = 0;
    for (int i = 0; i < 60; i++) {
        memcpy(pat + n, "**/a/", 5);
        n += 5;
    }
    memcpy(pat + n, "b", 2);
    for (size_t i = 0; i < 2000; i++) {
        path[2 * i] = 'a';
        path[2 * i + 1] = '/';
    }
    path[3999] = '\0';
    cr_expect(!vg_glob_match(pat, path));
}
