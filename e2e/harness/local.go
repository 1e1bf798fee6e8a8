package harness

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// LocalOptions say how StartLocal runs a shop for a tool (the load
// generator, the bench).
type LocalOptions struct {
	Root    string            // the repository, to build from
	BinDir  string            // prebuilt programs; empty: build them into the temporary directory
	AMQPURL string            // the broker to make the fresh vhost on
	Env     map[string]string // extra environment of the programs
	Keep    bool              // keep the databases and logs
	Name    string            // the tool's name: of its temporary directory and its log lines
	Log     io.Writer         // progress and errors
}

// StartLocal builds the five programs (unless o.BinDir) and starts them on
// a fresh vhost with fresh databases in a temporary directory, at their own
// defaults plus o.Env. stop shuts them down, removes the vhost and, unless
// o.Keep, the directory.
func StartLocal(ctx context.Context, o LocalOptions) (*Shop, func(), error) {
	dir, err := os.MkdirTemp("", "bookshop-"+o.Name+"-")
	if err != nil {
		return nil, nil, err
	}
	binDir := o.BinDir
	if binDir == "" {
		binDir = filepath.Join(dir, "bin")
		start := time.Now()
		if err := BuildAll(ctx, o.Root, binDir); err != nil {
			os.RemoveAll(dir)
			return nil, nil, err
		}
		fmt.Fprintf(o.Log, "built the programs in %v\n", time.Since(start).Round(time.Millisecond))
	}
	url, removeVHost, err := NewVHost(o.AMQPURL)
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	shop, err := Launch(ctx, Options{BinDir: binDir, AMQPURL: url, Dir: dir, Env: o.Env})
	if err != nil {
		removeVHost()
		os.RemoveAll(dir)
		return nil, nil, err
	}
	fmt.Fprintf(o.Log, "shop running on %s, databases and logs in %s\n", url, dir)
	stop := func() {
		for _, err := range shop.Shutdown() {
			fmt.Fprintf(o.Log, "%s: shut down: %v\n", o.Name, err)
		}
		if err := removeVHost(); err != nil {
			fmt.Fprintf(o.Log, "%s: %v\n", o.Name, err)
		}
		if o.Keep {
			fmt.Fprintf(o.Log, "kept databases and logs in %s\n", dir)
		} else {
			os.RemoveAll(dir)
		}
	}
	return shop, stop, nil
}
