// go-reference: the Go side of dockyard-bench's `references` benchmark. It parses the same inputs with Go's
// github.com/docker/distribution/reference (Debian's golang-github-docker-distribution-dev) in the same five
// modes and prints lines in dockyard-bench's format, so that scripts/bench can put the two side by side.
//
//	dockyard-bench --reference-inputs | go-reference [-n OPERATIONS]
//
// scripts/bench builds it at bench time with GO111MODULE=off and GOPATH=/usr/share/gocode.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/docker/distribution/reference"
	"github.com/opencontainers/go-digest"
)

var sink int

func measure(label string, operations int, body func(int) int) {
	body(0) // warm up, as dockyard-bench does
	accumulated := 0
	start := time.Now()
	for index := 0; index < operations; index++ {
		accumulated += body(index)
	}
	elapsed := time.Since(start)
	sink += accumulated
	nanoseconds := float64(elapsed.Nanoseconds())
	perOperation := nanoseconds / float64(max(operations, 1))
	fmt.Printf("%-34s %d ops  %.3f ms  %.1f ns/op\n", label, operations, nanoseconds/1e6, perOperation)
}

func max(a, b int) int {
	if a > b {
		return a
	}
	return b
}

func outcome(ref reference.Reference, err error) int {
	if err != nil {
		return len(err.Error())
	}
	return len(ref.String())
}

func main() {
	operations := flag.Int("n", 200000, "operations per mode")
	flag.Parse()
	var inputs []string
	scanner := bufio.NewScanner(os.Stdin)
	for scanner.Scan() {
		if line := strings.TrimRight(scanner.Text(), "\r"); line != "" {
			inputs = append(inputs, line)
		}
	}
	if len(inputs) == 0 {
		fmt.Fprintln(os.Stderr, "go-reference: no inputs on stdin (pipe `dockyard-bench --reference-inputs`)")
		os.Exit(2)
	}
	count := len(inputs)
	fmt.Printf("== references (Go %s, github.com/docker/distribution/reference): %d inputs\n", runtime.Version(), count)
	modes := []struct {
		name  string
		parse func(string) (reference.Reference, error)
	}{
		{"normalized", func(s string) (reference.Reference, error) { return reference.ParseNormalizedNamed(s) }},
		{"strict", reference.Parse},
		{"docker", func(s string) (reference.Reference, error) { return reference.ParseDockerRef(s) }},
		{"any", reference.ParseAnyReference},
		{"canonical", func(s string) (reference.Reference, error) { return reference.ParseNamed(s) }},
	}
	for _, mode := range modes {
		parse := mode.parse
		measure("reference."+mode.name, *operations, func(index int) int {
			return outcome(parse(inputs[index%count]))
		})
	}
	digests := []string{
		"sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b",
		"sha512:" + strings.Repeat("ab", 64),
		"sha256:6C3C624B58DBBCD3C0DD82B4C53F04194D1247C6EEBDAAB7C610CF7D66709B3B",
		"md5:d41d8cd98f00b204e9800998ecf8427e",
	}
	measure("digest.parse", *operations, func(index int) int {
		d, err := digest.Parse(digests[index%len(digests)])
		if err != nil {
			return 0
		}
		return len(d.Encoded())
	})
	var familiar []reference.Named
	for _, input := range inputs {
		if named, err := reference.ParseNormalizedNamed(input); err == nil {
			familiar = append(familiar, named)
		}
	}
	measure("reference.familiar", *operations, func(index int) int {
		return len(reference.FamiliarString(familiar[index%len(familiar)]))
	})
	measure("reference.familiarMatch", *operations, func(index int) int {
		if ok, _ := reference.FamiliarMatch("team/*", familiar[index%len(familiar)]); ok {
			return 1
		}
		return 0
	})
	if sink == 42 {
		fmt.Println()
	}
}
