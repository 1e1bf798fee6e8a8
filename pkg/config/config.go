// Package config loads a program's configuration: defaults from a typed
// struct, then configs/NAME.yaml (or --config FILE), then environment
// variables NAME_KEY_PATH. It is the only importer of viper; nothing below a
// program's run function sees viper.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"
)

// Common holds the keys every program knows.
type Common struct {
	AMQP     AMQP     `mapstructure:"amqp"`
	HTTP     HTTP     `mapstructure:"http"`
	Database Database `mapstructure:"database"`
	Log      Log      `mapstructure:"log"`
	Debug    Debug    `mapstructure:"debug"`
}

// Debug holds switches for looking inside a running program; all off by
// default.
type Debug struct {
	// PProf serves net/http/pprof under /debug/pprof/ on the program's
	// HTTP address (CPU and heap profiles under load).
	PProf bool `mapstructure:"pprof"`
}

// AMQP is the broker connection.
type AMQP struct {
	URL       string        `mapstructure:"url"`
	Prefetch  int           `mapstructure:"prefetch"`
	BatchSize int           `mapstructure:"batch_size"`
	BatchWait time.Duration `mapstructure:"batch_wait"`
	// PackSize is how many messages for one queue the relay may send as one
	// AMQP message (a pack); 0 or 1 sends each alone.
	PackSize     int           `mapstructure:"pack_size"`
	RequeueDelay time.Duration `mapstructure:"requeue_delay"`
}

// HTTP is the program's HTTP server.
type HTTP struct {
	Addr          string        `mapstructure:"addr"`
	ShutdownGrace time.Duration `mapstructure:"shutdown_grace"`
}

// Database is the program's own SQLite file.
type Database struct {
	Path        string `mapstructure:"path"`
	Synchronous string `mapstructure:"synchronous"`
	// InboxRetention is how long a processed message's inbox row (its id
	// and stored replies) is kept to recognise a redelivery.
	InboxRetention time.Duration `mapstructure:"inbox_retention"`
	// InboxKeepReplies keeps a copy of the messages each processed
	// message caused in its inbox row even where duplicates are ignored
	// (the orchestrator, the frontend), to look at; workers always keep
	// it, since they send it again for a duplicate.
	InboxKeepReplies bool `mapstructure:"inbox_keep_replies"`
}

// Log is the program's log output.
type Log struct {
	Level  string `mapstructure:"level"`
	Format string `mapstructure:"format"`
}

// Defaults returns the Common defaults for program name listening on addr.
func Defaults(name, addr string) Common {
	return Common{
		AMQP:     AMQP{URL: "amqp://guest:guest@127.0.0.1:5672/", Prefetch: 128, BatchSize: 64, BatchWait: 5 * time.Millisecond, PackSize: 64, RequeueDelay: time.Second},
		HTTP:     HTTP{Addr: addr, ShutdownGrace: 8 * time.Second},
		Database: Database{Path: "var/" + name + ".db", Synchronous: "FULL", InboxRetention: 7 * 24 * time.Hour},
		Log:      Log{Level: "info", Format: "json"},
	}
}

// Validate checks the Common keys and names the first bad one.
func (c Common) Validate() error {
	u, err := url.Parse(c.AMQP.URL)
	switch {
	case err != nil || (u.Scheme != "amqp" && u.Scheme != "amqps") || u.Host == "":
		return KeyError("amqp.url", "must be an amqp:// or amqps:// URL with a host")
	case c.AMQP.Prefetch < 1 || c.AMQP.Prefetch > 65535:
		return KeyError("amqp.prefetch", "must be between 1 and 65535")
	case c.AMQP.BatchSize < 1 || c.AMQP.BatchSize > c.AMQP.Prefetch:
		return KeyError("amqp.batch_size", "must be between 1 and amqp.prefetch")
	case c.AMQP.BatchWait < 0 || c.AMQP.BatchWait > time.Second:
		return KeyError("amqp.batch_wait", "must be between 0 and 1s")
	case c.AMQP.PackSize < 0 || c.AMQP.PackSize > 1024:
		return KeyError("amqp.pack_size", "must be between 0 and 1024")
	case c.AMQP.RequeueDelay < 0:
		return KeyError("amqp.requeue_delay", "must not be negative")
	case c.HTTP.ShutdownGrace <= 0:
		return KeyError("http.shutdown_grace", "must be positive")
	case c.Database.Path == "":
		return KeyError("database.path", "must not be empty")
	case !ValidSynchronous(c.Database.Synchronous):
		return KeyError("database.synchronous", "must be FULL or NORMAL")
	case c.Database.InboxRetention < time.Second:
		return KeyError("database.inbox_retention", "must be at least 1s")
	case !slices.Contains([]string{"debug", "info", "warn", "error"}, c.Log.Level):
		return KeyError("log.level", "must be debug, info, warn or error")
	case c.Log.Format != "json" && c.Log.Format != "text":
		return KeyError("log.format", "must be json or text")
	}
	if _, _, err := net.SplitHostPort(c.HTTP.Addr); err != nil {
		return KeyError("http.addr", "must be host:port")
	}
	return nil
}

// KeyError is a configuration value the program cannot use.
func KeyError(key, problem string) error {
	return fmt.Errorf("config key %s: %s", key, problem)
}

// Load fills out (a pointer to a struct already holding the defaults) for
// program name. args are the program's arguments (os.Args); the only flag is
// --config FILE. getenv looks up NAME_KEY_PATH overrides. A key the struct
// does not have, or a value of the wrong type, is an error naming the key.
func Load(name string, args []string, getenv func(string) string, out any) error {
	path, explicit, err := configPath(name, args)
	if err != nil {
		return err
	}
	v := viper.New()
	defaults := map[string]any{}
	flatten("", reflect.ValueOf(out).Elem(), defaults)
	for k, val := range defaults {
		v.SetDefault(k, val)
	}
	if err := readFile(v, path, explicit); err != nil {
		return err
	}
	for _, k := range v.AllKeys() {
		if _, ok := defaults[k]; !ok {
			return fmt.Errorf("config %s: unknown key %s", path, k)
		}
	}
	prefix := strings.ToUpper(name) + "_"
	for k := range defaults {
		env := prefix + strings.ToUpper(strings.ReplaceAll(k, ".", "_"))
		if val := getenv(env); val != "" {
			v.Set(k, val)
		}
	}
	return decode(v, defaults, out)
}

func configPath(name string, args []string) (path string, explicit bool, err error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg := fs.String("config", "", "configuration file (default configs/"+name+".yaml)")
	if len(args) > 0 {
		args = args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return "", false, fmt.Errorf("arguments: %w (usage: %s [--config FILE])", err, name)
	}
	if *cfg != "" {
		return *cfg, true, nil
	}
	return "configs/" + name + ".yaml", false, nil
}

// readFile reads the YAML file. A missing default file is fine (defaults and
// environment suffice); a missing --config file is not.
func readFile(v *viper.Viper, path string, explicit bool) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) && !explicit {
		return nil
	}
	v.SetConfigFile(path)
	v.SetConfigType("yaml")
	if err := v.ReadInConfig(); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	return nil
}

// decode unmarshals key by key so that an error names the key at fault.
func decode(v *viper.Viper, defaults map[string]any, out any) error {
	for k := range defaults {
		single := map[string]any{}
		setPath(single, strings.Split(k, "."), v.Get(k))
		dc := &mapstructure.DecoderConfig{
			Result:           out,
			WeaklyTypedInput: true,
			DecodeHook: mapstructure.ComposeDecodeHookFunc(
				mapstructure.StringToTimeDurationHookFunc(),
				mapstructure.StringToSliceHookFunc(","),
			),
		}
		dec, err := mapstructure.NewDecoder(dc)
		if err != nil {
			return err
		}
		if err := dec.Decode(single); err != nil {
			return KeyError(k, fmt.Sprintf("cannot use %v: %v", v.Get(k), unwrapDecode(err)))
		}
	}
	return nil
}

func unwrapDecode(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}

func setPath(m map[string]any, parts []string, val any) {
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = val
}

// flatten records every leaf of the struct v as a dotted key with its value.
func flatten(prefix string, v reflect.Value, out map[string]any) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("mapstructure"), ",")
		if !f.IsExported() || tag[0] == "-" {
			continue
		}
		fv := v.Field(i)
		if slices.Contains(tag[1:], "squash") {
			flatten(prefix, fv, out)
			continue
		}
		key := strings.ToLower(f.Name)
		if tag[0] != "" {
			key = tag[0]
		}
		if prefix != "" {
			key = prefix + "." + key
		}
		if fv.Kind() == reflect.Struct && f.Type != reflect.TypeOf(time.Time{}) {
			flatten(key, fv, out)
			continue
		}
		out[key] = fv.Interface()
	}
}

// ValidSynchronous reports whether s is a synchronous setting a SQLite file
// may have here: FULL or NORMAL, in any case.
func ValidSynchronous(s string) bool {
	return slices.Contains([]string{"FULL", "NORMAL"}, strings.ToUpper(s))
}
