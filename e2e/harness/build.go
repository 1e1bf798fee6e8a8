package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Programs are the five bookshop programs, in the order the harness starts
// them: the orchestrator's queue fills while the workers come up, which is
// harmless, and the frontend last.
var Programs = []string{"orchestrator", "billing", "fulfillment", "communication", "frontend"}

// Workers are the programs the orchestrator sends commands to.
var Workers = []string{"billing", "fulfillment", "communication"}

// Root finds the repository root: the nearest directory, from the working
// directory up, holding configs/catalog.yaml (the programs run there).
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repository root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "configs", "catalog.yaml")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find repository root: no configs/catalog.yaml above the working directory")
		}
		dir = parent
	}
}

// BuildAll builds the five programs from root into dir, in parallel. Each
// is built inside its own module, so that this works with the workspace
// and with GOWORK=off alike.
func BuildAll(ctx context.Context, root, dir string) error {
	errs := make([]error, len(Programs))
	var wg sync.WaitGroup
	for i, name := range Programs {
		wg.Go(func() {
			out, err := filepath.Abs(filepath.Join(dir, name))
			if err != nil {
				errs[i] = err
				return
			}
			cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/"+name)
			cmd.Dir = filepath.Join(root, name)
			if output, err := cmd.CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("build %s: %w\n%s", name, err, output)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

var build struct {
	once sync.Once
	dir  string
	err  error
	temp bool
}

// Build builds the five programs once per test binary and returns the
// directory holding them. BOOKSHOP_BIN_DIR names a directory of prebuilt
// binaries to use instead.
func Build(t testing.TB) string {
	t.Helper()
	build.once.Do(func() {
		if dir := os.Getenv("BOOKSHOP_BIN_DIR"); dir != "" {
			build.dir, build.err = filepath.Abs(dir)
			for _, name := range Programs {
				if build.err == nil {
					_, build.err = os.Stat(filepath.Join(build.dir, name))
				}
			}
			return
		}
		root, err := Root()
		if err != nil {
			build.err = err
			return
		}
		if build.dir, err = os.MkdirTemp("", "bookshop-bin-"); err != nil {
			build.err = fmt.Errorf("make build directory: %w", err)
			return
		}
		build.temp = true
		start := time.Now()
		build.err = BuildAll(context.Background(), root, build.dir)
		t.Logf("built the five programs in %v", time.Since(start).Round(time.Millisecond))
	})
	if build.err != nil {
		t.Fatalf("build the programs: %v", build.err)
	}
	return build.dir
}

// RemoveBuild deletes the binaries Build made (not a BOOKSHOP_BIN_DIR);
// call it from TestMain after m.Run.
func RemoveBuild() {
	if build.temp {
		os.RemoveAll(build.dir)
	}
}
