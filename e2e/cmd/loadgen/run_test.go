package main

import (
	"bytes"
	"testing"
)

func TestParseFlags(t *testing.T) {
	noEnv := func(string) string { return "" }
	for _, tc := range []struct {
		args []string
		want string // GOMAXPROCS the programs get
	}{
		{[]string{"loadgen", "-start"}, "1"},
		{[]string{"loadgen", "-start", "-env", "GOMAXPROCS=2", "-env", "ORCHESTRATOR_AMQP_BATCH_SIZE=64"}, "2"},
	} {
		cfg, err := parseFlags(tc.args, noEnv, &bytes.Buffer{})
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if got := cfg.env["GOMAXPROCS"]; got != tc.want {
			t.Errorf("%v: GOMAXPROCS %q, want %q", tc.args, got, tc.want)
		}
	}
	for _, args := range [][]string{{"-start", "-n", "0"}, {"-start", "-watch", "sometimes"}, {"-start", "-env", "NOVALUE"}, {}} {
		if _, err := parseFlags(append([]string{"loadgen"}, args...), noEnv, &bytes.Buffer{}); err == nil {
			t.Errorf("parseFlags(%v) accepted", args)
		}
	}
}
