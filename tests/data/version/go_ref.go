// SPDX-License-Identifier: Apache-2.0
//
// Reference comparator for the differential test of `vigil vercmp go`: reads "A B" lines on
// stdin and prints <, = or > using golang.org/x/mod/semver, or '!' when a version is invalid.
// Like vigil (and the Go vulnerability database), a missing "v" is implied and standard
// library tags ("go1.21rc1") are first mapped to semver with x/vuln's GoTagToSemver rule.
// Run by the e2e test as `GO111MODULE=off GOPATH=/usr/share/gocode go run go_ref.go` with
// Debian's golang-go and golang-golang-x-mod-dev.
package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"strings"

	"golang.org/x/mod/semver"
)

var tagRegexp = regexp.MustCompile(`^go(\d+\.\d+)(\.\d+|)((beta|rc|-pre)(\d+))?$`)

func goTagToSemver(tag string) string {
	if tag == "go1" {
		return "v1.0.0"
	}
	if tag == "go1.0" {
		return ""
	}
	m := tagRegexp.FindStringSubmatch(tag)
	if m == nil {
		return ""
	}
	version := "v" + m[1]
	if m[2] != "" {
		version += m[2]
	} else {
		version += ".0"
	}
	if m[3] != "" {
		if !strings.HasPrefix(m[4], "-") {
			version += "-"
		}
		version += m[4] + "." + m[5]
	}
	return version
}

func canon(v string) string {
	if strings.HasPrefix(v, "go") {
		return goTagToSemver(v)
	}
	if !strings.HasPrefix(v, "v") {
		return "v" + v
	}
	return v
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		f := strings.Fields(in.Text())
		if len(f) != 2 {
			fmt.Fprintln(out, "!")
			continue
		}
		a, b := canon(f[0]), canon(f[1])
		if !semver.IsValid(a) || !semver.IsValid(b) {
			fmt.Fprintln(out, "!")
			continue
		}
		fmt.Fprintln(out, map[int]string{-1: "<", 0: "=", 1: ">"}[semver.Compare(a, b)])
	}
}
