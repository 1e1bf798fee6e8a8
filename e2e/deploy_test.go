package e2e_test

// Deployment checks (issue 5): no Docker engine runs here, so these tests
// read what `docker compose up` would use and check that it is wired:
//
//   - TestComposeFile: docker-compose.yml, interpolated with .env.example as
//     compose does: every service, image build, port, volume, health check,
//     depends_on condition and credential;
//   - TestDockerfiles: each program's Dockerfile, stage by stage;
//   - TestDockerfileContext: the root .dockerignore;
//   - TestDeployDefinitions: deploy/rabbitmq/definitions.json: the topology
//     pkg/rabbit declares, one user per service, and permissions that allow
//     exactly what each program's code does on the broker and nothing more;
//   - TestDeployDefinitionsOnBroker: the same definitions imported into the
//     local RabbitMQ (a vhost and users of its own), where each service's
//     user runs pkg/rabbit's own declare, publish and consume and is refused
//     everything else, and the imported topology is compared with the one
//     pkg/rabbit declares on an empty vhost.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"bookshop/pkg/rabbit"
	"bookshop/pkg/rabbit/rabbittest"

	amqp "github.com/rabbitmq/amqp091-go"
	"go.yaml.in/yaml/v3"
)

// deployProgram is what the contract (shared/contract.md) and the code say
// about one program.
type deployProgram struct {
	name string
	port int
	// reads are the queues its code consumes (basic.consume, basic.get).
	reads []string
	// catalog: the program reads configs/catalog.yaml (catalog.path).
	catalog bool
}

// deployPrograms lists the five programs with their contract ports. Each
// consumes its own queue; the orchestrator's admin API also reads (lists,
// replays, deletes) every dead-letter queue.
func deployPrograms() []deployProgram {
	var dlqs []string
	for _, q := range rabbit.Queues {
		dlqs = append(dlqs, rabbit.DeadLetterQueue(q))
	}
	return []deployProgram{
		{name: "orchestrator", port: 8081, reads: append([]string{"orchestrator"}, dlqs...)},
		{name: "billing", port: 8082, reads: []string{"billing"}},
		{name: "fulfillment", port: 8083, reads: []string{"fulfillment"}, catalog: true},
		{name: "communication", port: 8084, reads: []string{"communication"}},
		{name: "frontend", port: 8080, reads: []string{"frontend"}, catalog: true},
	}
}

const (
	// deployVHost is the vhost of the compose deployment.
	deployVHost = "bookshop"
	// deployDeliveryLimit is the x-delivery-limit pkg/rabbit declares (its
	// Config default; no program sets another). TestDeployDefinitionsOnBroker
	// compares with what the code really declares.
	deployDeliveryLimit = 20
	// deployDataDir is where every container keeps its SQLite files.
	deployDataDir = "/data"
	// deployConfigDir is where every image has its configuration files.
	deployConfigDir = "/etc/bookshop"
)

// deployRoot is the repository root (the tests run in e2e/).
func deployRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.work")); err != nil {
		t.Fatalf("repository root %s: %v", root, err)
	}
	return root
}

func deployRead(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(deployRoot(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ---------------------------------------------------------------------------
// docker-compose.yml

type composeFile struct {
	Name     string                    `yaml:"name"`
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image       string            `yaml:"image"`
	Hostname    string            `yaml:"hostname"`
	Build       *composeBuild     `yaml:"build"`
	Entrypoint  []string          `yaml:"entrypoint"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
	Tmpfs       []string          `yaml:"tmpfs"`
	Ports       []string          `yaml:"ports"`
	Healthcheck *composeHealth    `yaml:"healthcheck"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	ContainerName   string `yaml:"container_name"`
	StopGracePeriod string `yaml:"stop_grace_period"`
	Restart         string `yaml:"restart"`
}

type composeBuild struct {
	Context    string `yaml:"context"`
	Dockerfile string `yaml:"dockerfile"`
	Target     string `yaml:"target"`
}

type composeHealth struct {
	Test        []string `yaml:"test"`
	Interval    string   `yaml:"interval"`
	Timeout     string   `yaml:"timeout"`
	Retries     int      `yaml:"retries"`
	StartPeriod string   `yaml:"start_period"`
}

// deployEnvFile is .env.example: the variables it sets, and those it only
// documents in a comment ("# NAME=default").
type deployEnvFile struct {
	set, documented map[string]string
}

var deployEnvLine = regexp.MustCompile(`^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$`)

func deployLoadEnv(t *testing.T) deployEnvFile {
	t.Helper()
	env := deployEnvFile{set: map[string]string{}, documented: map[string]string{}}
	sc := bufio.NewScanner(bytes.NewReader(deployRead(t, ".env.example")))
	for sc.Scan() {
		m := deployEnvLine.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		switch {
		case m == nil:
		case m[1] != "":
			env.documented[m[2]] = m[3]
		default:
			env.set[m[2]] = m[3]
		}
	}
	return env
}

// deployVarUse is one ${...} of the compose file.
type deployVarUse struct {
	required bool
	def      string // the default of ${VAR:-def}
	hasDef   bool
}

var deployVarRef = regexp.MustCompile(`\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)`)

// deployInterpolate expands text as docker compose does with the variables
// of env, and reports every variable it used.
func deployInterpolate(text string, env map[string]string) (string, map[string]deployVarUse, error) {
	uses := map[string]deployVarUse{}
	var errs []error
	out := deployVarRef.ReplaceAllStringFunc(text, func(ref string) string {
		if ref == "$$" {
			return "$"
		}
		m := deployVarRef.FindStringSubmatch(ref)
		name, op, arg := m[1], m[2], m[3]
		if name == "" {
			name = m[4]
		}
		val, ok := env[name]
		u := uses[name]
		switch op {
		case ":-", "-":
			u.def, u.hasDef = arg, true
			if !ok || (op == ":-" && val == "") {
				val = arg
			}
		case ":?", "?":
			u.required = true
			if !ok || (op == ":?" && val == "") {
				errs = append(errs, fmt.Errorf("required variable %s is not set: %s", name, arg))
			}
		}
		uses[name] = u
		return val
	})
	return out, uses, errors.Join(errs...)
}

func deployParseCompose(t *testing.T, text string) composeFile {
	t.Helper()
	var f composeFile
	dec := yaml.NewDecoder(strings.NewReader(text))
	dec.KnownFields(true) // a misspelt key (healtcheck) is an error here, as nothing else reads it
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("parse docker-compose.yml: %v", err)
	}
	return f
}

// deployMount is one short-syntax volume: SOURCE:TARGET[:MODE].
type deployMount struct{ source, target, mode string }

func (m deployMount) named() bool {
	return !strings.HasPrefix(m.source, ".") && !strings.HasPrefix(m.source, "/")
}

func deployMounts(t *testing.T, svc string, vols []string) []deployMount {
	t.Helper()
	var ms []deployMount
	for _, v := range vols {
		parts := strings.Split(v, ":")
		if len(parts) < 2 || len(parts) > 3 {
			t.Fatalf("service %s: volume %q is not SOURCE:TARGET[:MODE]", svc, v)
		}
		m := deployMount{source: parts[0], target: parts[1]}
		if len(parts) == 3 {
			m.mode = parts[2]
		}
		ms = append(ms, m)
	}
	return ms
}

// deployPort is one short-syntax port: [HOST_IP:]PUBLISHED:TARGET.
type deployPort struct {
	hostIP            string
	published, target int
}

func deployPorts(t *testing.T, svc string, ports []string) []deployPort {
	t.Helper()
	var ps []deployPort
	for _, p := range ports {
		parts := strings.Split(strings.TrimSuffix(p, "/tcp"), ":")
		var dp deployPort
		var err1, err2 error
		switch len(parts) {
		case 2:
			dp.published, err1 = strconv.Atoi(parts[0])
			dp.target, err2 = strconv.Atoi(parts[1])
		case 3:
			dp.hostIP = parts[0]
			dp.published, err1 = strconv.Atoi(parts[1])
			dp.target, err2 = strconv.Atoi(parts[2])
		default:
			t.Fatalf("service %s: port %q is not [HOST_IP:]PUBLISHED:TARGET", svc, p)
		}
		if err1 != nil || err2 != nil {
			t.Fatalf("service %s: port %q: %v", svc, p, errors.Join(err1, err2))
		}
		ps = append(ps, dp)
	}
	return ps
}

// deployConfigEnv lists the environment variables a program reads: one per
// key of configs/NAME.yaml, NAME_KEY_PATH.
func deployConfigEnv(t *testing.T, name string) map[string]bool {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(deployRead(t, "configs/"+name+".yaml"), &doc); err != nil {
		t.Fatalf("configs/%s.yaml: %v", name, err)
	}
	vars := map[string]bool{}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			key := prefix + "_" + strings.ToUpper(k)
			if sub, ok := v.(map[string]any); ok {
				walk(key, sub)
				continue
			}
			vars[key] = true
		}
	}
	walk(strings.ToUpper(name), doc)
	return vars
}

func deployHealthTest(t *testing.T, svc string, h *composeHealth) string {
	t.Helper()
	if h == nil || len(h.Test) < 2 {
		t.Fatalf("service %s: no healthcheck test", svc)
	}
	if h.Test[0] != "CMD" && h.Test[0] != "CMD-SHELL" {
		t.Errorf("service %s: healthcheck test starts with %q, want CMD or CMD-SHELL", svc, h.Test[0])
	}
	for what, d := range map[string]string{"interval": h.Interval, "timeout": h.Timeout, "start_period": h.StartPeriod} {
		if _, err := time.ParseDuration(d); err != nil {
			t.Errorf("service %s: healthcheck %s %q: %v", svc, what, d, err)
		}
	}
	if h.Retries < 1 {
		t.Errorf("service %s: healthcheck retries %d, want at least 1", svc, h.Retries)
	}
	return strings.Join(h.Test[1:], " ")
}

func TestComposeFile(t *testing.T) {
	raw := string(deployRead(t, "docker-compose.yml"))
	env := deployLoadEnv(t)

	// Compose refuses to start without each required variable; .env.example
	// sets them all (so that `cp .env.example .env` runs) and documents the
	// optional ones with their defaults.
	text, uses, err := deployInterpolate(raw, env.set)
	if err != nil {
		t.Fatalf("docker-compose.yml with .env.example: %v", err)
	}
	for name, u := range uses {
		set, isSet := env.set[name]
		doc, isDoc := env.documented[name]
		switch {
		case u.required && (!isSet || set == ""):
			t.Errorf("required variable %s is not set in .env.example", name)
		case !u.required && !isSet && !isDoc:
			t.Errorf("variable %s of docker-compose.yml is not in .env.example", name)
		case isDoc && u.hasDef && doc != u.def:
			t.Errorf(".env.example documents %s=%s, docker-compose.yml defaults it to %s", name, doc, u.def)
		}
	}
	for name := range env.set {
		if _, ok := uses[name]; !ok {
			t.Errorf(".env.example sets %s, which docker-compose.yml does not use", name)
		}
	}
	// Without a .env every required variable stops compose.
	if _, _, err := deployInterpolate(raw, nil); err == nil {
		t.Error("docker-compose.yml starts without any password set: use ${VAR:?message}")
	}

	f := deployParseCompose(t, text)
	rawFile := deployParseCompose(t, raw) // to see which ${VAR} a value takes
	defs := deployLoadDefinitions(t)

	programs := deployPrograms()
	want := []string{"rabbitmq"}
	for _, p := range programs {
		want = append(want, p.name)
	}
	var got []string
	for name := range f.Services {
		got = append(got, name)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("services %v, want %v", got, want)
	}

	// Named volumes: one for the broker, one per program, none shared.
	volumeUsers := map[string][]string{}

	t.Run("rabbitmq", func(t *testing.T) {
		r := f.Services["rabbitmq"]
		if !regexp.MustCompile(`^rabbitmq:3\.13(\.\d+)?-management$`).MatchString(r.Image) {
			t.Errorf("rabbitmq image %q, want rabbitmq:3.13-management", r.Image)
		}
		if r.Hostname == "" {
			t.Error("rabbitmq has no fixed hostname: its node name, and so its data directory, would change with each new container")
		}
		mounts := map[string]deployMount{}
		for _, m := range deployMounts(t, "rabbitmq", r.Volumes) {
			mounts[m.target] = m
			if m.named() {
				volumeUsers[m.source] = append(volumeUsers[m.source], "rabbitmq")
			} else if _, err := os.Stat(filepath.Join(deployRoot(t), m.source)); err != nil {
				t.Errorf("rabbitmq mounts %s: %v", m.source, err)
			}
		}
		if m, ok := mounts["/var/lib/rabbitmq"]; !ok || !m.named() {
			t.Error("rabbitmq keeps its data (/var/lib/rabbitmq) in no named volume")
		}
		// The entry point renders the mounted definitions into the file
		// rabbitmq.conf loads, on a tmpfs.
		if len(r.Entrypoint) != 2 || r.Entrypoint[0] != "/bin/sh" {
			t.Fatalf("rabbitmq entrypoint %q, want [/bin/sh SCRIPT]", r.Entrypoint)
		}
		if m, ok := mounts[r.Entrypoint[1]]; !ok || path.Clean(m.source) != "deploy/rabbitmq/entrypoint.sh" {
			t.Errorf("rabbitmq entrypoint %s is not deploy/rabbitmq/entrypoint.sh", r.Entrypoint[1])
		}
		if !slices.Equal(r.Command, []string{"rabbitmq-server"}) {
			t.Errorf("rabbitmq command %q, want [rabbitmq-server] (entrypoint resets the image's CMD)", r.Command)
		}
		script := string(deployRead(t, "deploy/rabbitmq/entrypoint.sh"))
		template := deployShellDefault(t, script, "template")
		rendered := deployShellDefault(t, script, "rendered")
		if m, ok := mounts[template]; !ok || path.Clean(m.source) != "deploy/rabbitmq/definitions.json" || m.mode != "ro" {
			t.Errorf("entrypoint.sh reads %s: mount deploy/rabbitmq/definitions.json there read-only", template)
		}
		confTarget := ""
		for target, m := range mounts {
			if path.Clean(m.source) == "deploy/rabbitmq/rabbitmq.conf" {
				confTarget = target
			}
		}
		if !regexp.MustCompile(`^/etc/rabbitmq/(rabbitmq\.conf|conf\.d/[^/]+\.conf)$`).MatchString(confTarget) {
			t.Errorf("deploy/rabbitmq/rabbitmq.conf is mounted at %q, not where RabbitMQ reads its configuration", confTarget)
		}
		conf := string(deployRead(t, "deploy/rabbitmq/rabbitmq.conf"))
		load := regexp.MustCompile(`(?m)^\s*(?:management\.)?load_definitions\s*=\s*(\S+)\s*$`).FindStringSubmatch(conf)
		if load == nil || load[1] != rendered {
			t.Errorf("rabbitmq.conf loads definitions from %v, entrypoint.sh writes them to %s", load, rendered)
		}
		if !slices.Contains(r.Tmpfs, path.Dir(rendered)) {
			t.Errorf("the rendered definitions (with passwords) go to %s, which is not a tmpfs", path.Dir(rendered))
		}
		// Every password placeholder of the definitions is in the broker's
		// environment, taken from the variable of the same name.
		for _, u := range defs.Users {
			v := deployPlaceholder(t, u.Password)
			if got := rawFile.Services["rabbitmq"].Environment[v]; !strings.HasPrefix(got, "${"+v+":?") {
				t.Errorf("rabbitmq environment %s = %q, want ${%s:?...}", v, got, v)
			}
		}
		h := deployHealthTest(t, "rabbitmq", r.Healthcheck)
		if !strings.Contains(h, "rabbitmq-diagnostics") {
			t.Errorf("rabbitmq healthcheck %q does not ask rabbitmq-diagnostics", h)
		}
		if !strings.Contains(h, "-p "+deployVHost) {
			t.Errorf("rabbitmq healthcheck %q does not wait for the definitions (vhost %s)", h, deployVHost)
		}
		for _, p := range deployPorts(t, "rabbitmq", r.Ports) {
			if p.target == 5672 {
				t.Errorf("AMQP is published (%+v): the stack does not need it, and it clashes with a local broker", p)
			}
		}
	})

	for _, p := range programs {
		t.Run(p.name, func(t *testing.T) {
			s := f.Services[p.name]
			up := strings.ToUpper(p.name)

			if s.Build == nil || s.Build.Context != "." || s.Build.Dockerfile != p.name+"/Dockerfile" {
				t.Fatalf("build %+v, want context . and dockerfile %s/Dockerfile", s.Build, p.name)
			}
			stages := deployParseDockerfile(t, p.name+"/Dockerfile")
			if s.Build.Target != stages[len(stages)-1].name {
				t.Errorf("build target %q is not the last stage of %s/Dockerfile (%q)", s.Build.Target, p.name, stages[len(stages)-1].name)
			}
			if !strings.HasPrefix(s.Image, "bookshop/"+p.name+":") {
				t.Errorf("image %q, want bookshop/%s:TAG", s.Image, p.name)
			}
			if s.ContainerName != "" {
				t.Errorf("container_name %q keeps the service from scaling", s.ContainerName)
			}

			// Environment: only keys the program reads, its own broker user.
			known := deployConfigEnv(t, p.name)
			for k := range s.Environment {
				if !known[k] {
					t.Errorf("environment %s is no key of configs/%s.yaml", k, p.name)
				}
			}
			u, err := url.Parse(s.Environment[up+"_AMQP_URL"])
			if err != nil || u.Scheme != "amqp" {
				t.Fatalf("%s_AMQP_URL %q: not an amqp:// URL (%v)", up, s.Environment[up+"_AMQP_URL"], err)
			}
			pw, _ := u.User.Password()
			passVar := up + "_AMQP_PASSWORD"
			switch {
			case u.User.Username() != p.name:
				t.Errorf("%s connects as %q, want its own user %q", p.name, u.User.Username(), p.name)
			case pw != env.set[passVar]:
				t.Errorf("%s_AMQP_URL's password is not %s", up, passVar)
			case u.Hostname() != "rabbitmq" || u.Port() != "5672":
				t.Errorf("%s_AMQP_URL host %q, want rabbitmq:5672", up, u.Host)
			case u.Path != "/"+deployVHost:
				t.Errorf("%s_AMQP_URL vhost %q, want /%s", up, u.Path, deployVHost)
			}
			if rawURL := rawFile.Services[p.name].Environment[up+"_AMQP_URL"]; !strings.Contains(rawURL, ":${"+passVar+":?") {
				t.Errorf("%s_AMQP_URL %q does not take its password from ${%s:?...}", up, rawURL, passVar)
			}
			if !slices.ContainsFunc(defs.Users, func(du deployUser) bool {
				return du.Name == p.name && du.Password == "${"+passVar+"}"
			}) {
				t.Errorf("definitions.json has no user %s with password ${%s}", p.name, passVar)
			}
			if p.name == "orchestrator" {
				if tok := rawFile.Services[p.name].Environment["ORCHESTRATOR_ADMIN_TOKEN"]; !strings.HasPrefix(tok, "${ORCHESTRATOR_ADMIN_TOKEN:?") {
					t.Errorf("ORCHESTRATOR_ADMIN_TOKEN = %q, want ${ORCHESTRATOR_ADMIN_TOKEN:?...}", tok)
				}
				if len(env.set["ORCHESTRATOR_ADMIN_TOKEN"]) < 16 {
					t.Error(".env.example's ORCHESTRATOR_ADMIN_TOKEN is shorter than the 16 characters the orchestrator requires")
				}
			}

			// Listens on every interface of the container, on its port.
			if got, want := s.Environment[up+"_HTTP_ADDR"], fmt.Sprintf("0.0.0.0:%d", p.port); got != want {
				t.Errorf("%s_HTTP_ADDR %q, want %q", up, got, want)
			}

			// Its own named volume holds every file it writes.
			mounts := deployMounts(t, p.name, s.Volumes)
			if len(mounts) != 1 || !mounts[0].named() || mounts[0].target != deployDataDir || mounts[0].source != p.name+"-data" {
				t.Fatalf("volumes %q, want exactly %s-data:%s", s.Volumes, p.name, deployDataDir)
			}
			volumeUsers[mounts[0].source] = append(volumeUsers[mounts[0].source], p.name)
			files := []string{up + "_DATABASE_PATH"}
			if p.name == "billing" {
				files = append(files, "BILLING_GATEWAY_DATABASE_PATH")
			}
			for _, k := range files {
				if v := s.Environment[k]; path.Dir(v) != deployDataDir {
					t.Errorf("%s %q is outside the volume %s", k, v, deployDataDir)
				}
			}
			if got, want := s.Environment[up+"_DATABASE_PATH"], deployDataDir+"/"+p.name+".db"; got != want {
				t.Errorf("%s_DATABASE_PATH %q, want %q", up, got, want)
			}
			if p.catalog {
				if got, want := s.Environment[up+"_CATALOG_PATH"], deployConfigDir+"/catalog.yaml"; got != want {
					t.Errorf("%s_CATALOG_PATH %q, want %q (copied there by the Dockerfile)", up, got, want)
				}
			}
			// The same defaults are baked into the image.
			final := stages[len(stages)-1]
			for k, v := range s.Environment {
				if iv, ok := final.env[k]; ok && iv != v {
					t.Errorf("environment %s=%s, the image sets %s", k, v, iv)
				}
			}

			h := deployHealthTest(t, p.name, s.Healthcheck)
			if want := fmt.Sprintf("http://127.0.0.1:%d/readyz", p.port); !strings.Contains(h, want) {
				t.Errorf("healthcheck %q does not ask %s", h, want)
			}
			if s.DependsOn["rabbitmq"].Condition != "service_healthy" {
				t.Errorf("depends_on rabbitmq %+v, want condition service_healthy", s.DependsOn)
			}
			if d, err := time.ParseDuration(s.StopGracePeriod); err != nil || d <= 10*time.Second {
				t.Errorf("stop_grace_period %q: want more than the 10 s a program takes to stop", s.StopGracePeriod)
			}
			if s.Restart == "" || s.Restart == "no" {
				t.Errorf("restart %q: a program that exits is not restarted", s.Restart)
			}

			// The storefront and the admin API are published on their
			// contract ports; the workers publish nothing, so that a second
			// copy can start (docker compose up --scale billing=2).
			ports := deployPorts(t, p.name, s.Ports)
			switch p.name {
			case "frontend", "orchestrator":
				if len(ports) != 1 || ports[0].target != p.port || ports[0].published != p.port {
					t.Errorf("ports %q, want %d published as %d", s.Ports, p.port, p.port)
				}
			default:
				if len(ports) != 0 {
					t.Errorf("ports %q: a published port keeps the worker from scaling", s.Ports)
				}
			}
		})
	}

	var vols []string
	for v := range f.Volumes {
		vols = append(vols, v)
	}
	slices.Sort(vols)
	var wantVols []string
	for v, users := range volumeUsers {
		wantVols = append(wantVols, v)
		if len(users) != 1 {
			t.Errorf("volume %s is shared by %v", v, users)
		}
	}
	slices.Sort(wantVols)
	if !slices.Equal(vols, wantVols) {
		t.Errorf("top-level volumes %v, the services use %v", vols, wantVols)
	}
}

// deployShellDefault finds `NAME=${VAR:-DEFAULT}` in a shell script and
// returns DEFAULT.
func deployShellDefault(t *testing.T, script, name string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + name + `=\$\{[A-Z_]+:-([^}]+)\}$`).FindStringSubmatch(script)
	if m == nil {
		t.Fatalf("deploy/rabbitmq/entrypoint.sh sets no %s=${VAR:-DEFAULT}", name)
	}
	return m[1]
}

// ---------------------------------------------------------------------------
// Dockerfiles

type deployInstr struct {
	cmd  string // upper case
	args string
}

type deployStage struct {
	base, name string
	instrs     []deployInstr
	env        map[string]string
}

// deployParseDockerfile splits a Dockerfile into stages of instructions,
// joining continuation lines and dropping comments.
func deployParseDockerfile(t *testing.T, rel string) []deployStage {
	t.Helper()
	var logical []string
	var cur strings.Builder
	for _, line := range strings.Split(string(deployRead(t, rel)), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && cur.Len() == 0) {
			continue
		}
		if strings.HasSuffix(trimmed, "\\") {
			cur.WriteString(strings.TrimSuffix(trimmed, "\\") + " ")
			continue
		}
		cur.WriteString(trimmed)
		logical = append(logical, cur.String())
		cur.Reset()
	}
	if cur.Len() != 0 {
		t.Fatalf("%s ends in a continuation line", rel)
	}
	var stages []deployStage
	for _, l := range logical {
		cmd, args, _ := strings.Cut(l, " ")
		cmd, args = strings.ToUpper(cmd), strings.TrimSpace(args)
		if cmd == "FROM" {
			f := strings.Fields(args)
			st := deployStage{base: f[0], env: map[string]string{}}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				st.name = f[2]
			} else if len(f) != 1 {
				t.Fatalf("%s: FROM %s", rel, args)
			}
			stages = append(stages, st)
			continue
		}
		if len(stages) == 0 {
			if cmd != "ARG" {
				t.Fatalf("%s: %s before the first FROM", rel, cmd)
			}
			continue
		}
		st := &stages[len(stages)-1]
		st.instrs = append(st.instrs, deployInstr{cmd, args})
		if cmd == "ENV" {
			for _, kv := range strings.Fields(args) {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					t.Fatalf("%s: ENV %s: write KEY=VALUE", rel, args)
				}
				st.env[k] = v
			}
		}
	}
	if len(stages) == 0 {
		t.Fatalf("%s has no FROM", rel)
	}
	return stages
}

func (s deployStage) all(cmd string) []string {
	var out []string
	for _, in := range s.instrs {
		if in.cmd == cmd {
			out = append(out, in.args)
		}
	}
	return out
}

// deployFlags splits "--from=build a b" into flags and the rest.
func deployFlags(args string) (map[string]string, []string) {
	flags := map[string]string{}
	var rest []string
	for _, f := range strings.Fields(args) {
		if k, v, ok := strings.Cut(strings.TrimPrefix(f, "--"), "="); strings.HasPrefix(f, "--") && ok {
			flags[k] = v
			continue
		}
		rest = append(rest, f)
	}
	return flags, rest
}

// deployExecForm parses a JSON exec form; shell form is one string.
func deployExecForm(t *testing.T, args string) []string {
	t.Helper()
	if !strings.HasPrefix(args, "[") {
		return []string{args}
	}
	var v []string
	if err := json.Unmarshal([]byte(args), &v); err != nil {
		t.Fatalf("exec form %s: %v", args, err)
	}
	return v
}

func TestDockerfiles(t *testing.T) {
	root := deployRoot(t)
	for _, p := range deployPrograms() {
		t.Run(p.name, func(t *testing.T) {
			rel := p.name + "/Dockerfile"
			up := strings.ToUpper(p.name)
			stages := deployParseDockerfile(t, rel)
			if len(stages) < 2 {
				t.Fatalf("%d stage(s): want a build stage and a runtime stage", len(stages))
			}
			names := map[string]int{}
			for i, st := range stages {
				if st.name == "" {
					t.Errorf("stage %d (FROM %s) has no name", i, st.base)
				}
				if _, dup := names[st.name]; dup {
					t.Errorf("two stages are named %q", st.name)
				}
				names[st.name] = i
			}

			// Build stage: cgo on the Go image, the module's own go.mod.
			build := stages[0]
			if build.base != "golang:1.26-bookworm" {
				t.Errorf("build stage FROM %s, want golang:1.26-bookworm (glibc of the runtime's Debian)", build.base)
			}
			if build.env["CGO_ENABLED"] != "1" {
				t.Error("build stage does not set CGO_ENABLED=1 (mattn/go-sqlite3 needs cgo)")
			}
			if build.env["GOWORK"] != "off" {
				t.Error("build stage does not set GOWORK=off: the module must build from its own go.mod")
			}
			var out string
			buildCmd := regexp.MustCompile(`(?:^|&&\s*)cd ` + p.name + ` && go build .*-o (\S+) \./cmd/` + p.name + `$`)
			for _, run := range build.all("RUN") {
				_, rest := deployFlags(run)
				if m := buildCmd.FindStringSubmatch(strings.Join(rest, " ")); m != nil {
					out = m[1]
				}
			}
			if out == "" {
				t.Fatalf("build stage has no RUN `cd %s && go build ... -o OUT ./cmd/%s`", p.name, p.name)
			}
			if _, err := os.Stat(filepath.Join(root, p.name, "cmd", p.name, "main.go")); err != nil {
				t.Errorf("build target ./cmd/%s of module %s: %v", p.name, p.name, err)
			}

			// Every COPY from the context names a file there that
			// .dockerignore lets through; every COPY --from an earlier stage.
			ignore := deployIgnorePatterns(t)
			for i, st := range stages {
				for _, c := range st.all("COPY") {
					flags, rest := deployFlags(c)
					if len(rest) < 2 {
						t.Errorf("COPY %s: want SOURCE... DEST", c)
						continue
					}
					if from, ok := flags["from"]; ok {
						j, ok := names[from]
						if !ok || j >= i {
							t.Errorf("COPY --from=%s: no earlier stage of that name", from)
						}
						continue
					}
					for _, src := range rest[:len(rest)-1] {
						if _, err := os.Stat(filepath.Join(root, src)); err != nil {
							t.Errorf("COPY %s: %v", src, err)
						}
						if deployIgnored(ignore, strings.TrimSuffix(src, "/")) {
							t.Errorf("COPY %s: .dockerignore leaves it out of the context", src)
						}
					}
				}
			}

			// Runtime stage: a small glibc base, the binary from the build
			// stage, the configuration, a non-root user, a health check.
			final := stages[len(stages)-1]
			if final.base != "debian:bookworm-slim" && final.base != "gcr.io/distroless/base-debian12" {
				t.Errorf("runtime stage FROM %s, want debian:bookworm-slim or gcr.io/distroless/base-debian12", final.base)
			}
			copied := map[string]string{} // destination -> source
			for _, c := range final.all("COPY") {
				flags, rest := deployFlags(c)
				if len(rest) == 2 {
					copied[rest[1]] = rest[0]
					if flags["from"] == build.name && rest[0] != out {
						t.Errorf("COPY --from=%s %s: the build writes %s", build.name, rest[0], out)
					}
				}
			}
			binary := "/usr/local/bin/" + p.name
			if copied[binary] != out {
				t.Errorf("runtime stage does not COPY --from=%s %s %s", build.name, out, binary)
			}
			config := deployConfigDir + "/" + p.name + ".yaml"
			if copied[config] != "configs/"+p.name+".yaml" {
				t.Errorf("runtime stage does not COPY configs/%s.yaml %s", p.name, config)
			}
			if p.catalog {
				cat := deployConfigDir + "/catalog.yaml"
				if copied[cat] != "configs/catalog.yaml" || final.env[up+"_CATALOG_PATH"] != cat {
					t.Errorf("runtime stage does not COPY configs/catalog.yaml %s and set %s_CATALOG_PATH to it", cat, up)
				}
			}
			entry := final.all("ENTRYPOINT")
			if len(entry) != 1 || !slices.Equal(deployExecForm(t, entry[0]), []string{binary, "--config", config}) {
				t.Errorf("ENTRYPOINT %q, want [%q, \"--config\", %q]", entry, binary, config)
			}

			users := final.all("USER")
			if len(users) == 0 {
				t.Error("runtime stage has no USER: it runs as root")
			} else {
				u, _, _ := strings.Cut(users[len(users)-1], ":")
				if u == "root" || u == "0" || u == "" {
					t.Errorf("runtime stage USER %q is root", users[len(users)-1])
				}
			}

			expose := final.all("EXPOSE")
			if len(expose) != 1 || strings.TrimSuffix(expose[0], "/tcp") != strconv.Itoa(p.port) {
				t.Errorf("EXPOSE %q, want the contract port %d", expose, p.port)
			}
			if got, want := final.env[up+"_HTTP_ADDR"], fmt.Sprintf("0.0.0.0:%d", p.port); got != want {
				t.Errorf("ENV %s_HTTP_ADDR=%s, want %s", up, got, want)
			}
			if got, want := final.env[up+"_DATABASE_PATH"], deployDataDir+"/"+p.name+".db"; got != want {
				t.Errorf("ENV %s_DATABASE_PATH=%s, want %s", up, got, want)
			}
			if p.name == "billing" && path.Dir(final.env["BILLING_GATEWAY_DATABASE_PATH"]) != deployDataDir {
				t.Errorf("ENV BILLING_GATEWAY_DATABASE_PATH=%s is outside %s", final.env["BILLING_GATEWAY_DATABASE_PATH"], deployDataDir)
			}
			if v := final.all("VOLUME"); !slices.Contains(v, deployDataDir) {
				t.Errorf("VOLUME %q, want %s", v, deployDataDir)
			}

			hc := final.all("HEALTHCHECK")
			if len(hc) != 1 {
				t.Fatalf("runtime stage has %d HEALTHCHECK instructions, want 1", len(hc))
			}
			_, cmd, ok := strings.Cut(hc[0], " CMD ")
			if !ok {
				t.Fatalf("HEALTHCHECK %s: no CMD", hc[0])
			}
			probe := deployExecForm(t, strings.TrimSpace(cmd))
			if want := fmt.Sprintf("http://127.0.0.1:%d/readyz", p.port); !slices.Contains(probe, want) {
				t.Errorf("HEALTHCHECK %q does not ask %s", probe, want)
			}
			if probe[0] == "curl" && !slices.ContainsFunc(final.all("RUN"), func(r string) bool {
				return regexp.MustCompile(`apt-get install[^&]* curl\b`).MatchString(r)
			}) {
				t.Error("HEALTHCHECK runs curl, which the runtime stage does not install")
			}
		})
	}
}

// ---------------------------------------------------------------------------
// .dockerignore

func deployIgnorePatterns(t *testing.T) []string {
	t.Helper()
	var pats []string
	for _, l := range strings.Split(string(deployRead(t, ".dockerignore")), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if strings.HasPrefix(l, "!") {
			t.Fatalf(".dockerignore: exception %q: deployIgnored does not handle them", l)
		}
		pats = append(pats, strings.TrimSuffix(l, "/"))
	}
	return pats
}

// deployIgnored reports whether a context path is left out: a pattern
// matches it or one of its parent folders; "**/" matches at any depth.
func deployIgnored(pats []string, p string) bool {
	parts := strings.Split(p, "/")
	for _, pat := range pats {
		anyDepth := strings.HasPrefix(pat, "**/")
		pat = strings.TrimPrefix(pat, "**/")
		depth := strings.Count(pat, "/") + 1
		for start := 0; start+depth <= len(parts); start++ {
			if start > 0 && !anyDepth {
				break
			}
			if ok, _ := path.Match(pat, strings.Join(parts[start:start+depth], "/")); ok {
				return true
			}
		}
	}
	return false
}

func TestDockerfileContext(t *testing.T) {
	pats := deployIgnorePatterns(t)
	for _, p := range []string{".git/HEAD", ".env", "bin/billing", "var/billing.db",
		"billing/var/x", "orchestrator.db", "billing/x.db", "billing/x.db-wal",
		"orchestrator/cmd/orchestrator/orchestrator", "billing/cmd/billing/billing",
		"fulfillment/cmd/fulfillment/fulfillment", "communication/cmd/communication/communication",
		"frontend/cmd/frontend/frontend"} {
		if !deployIgnored(pats, p) {
			t.Errorf(".dockerignore sends %s to the build", p)
		}
	}
	keep := []string{"pkg/go.mod", "pkg/rabbit/rabbit.go", "configs/catalog.yaml"}
	for _, p := range deployPrograms() {
		keep = append(keep, p.name+"/go.mod", p.name+"/go.sum", p.name+"/cmd/"+p.name+"/main.go", "configs/"+p.name+".yaml")
	}
	for _, p := range keep {
		if deployIgnored(pats, p) {
			t.Errorf(".dockerignore leaves %s out of the build", p)
		}
	}
}

// ---------------------------------------------------------------------------
// deploy/rabbitmq/definitions.json

type deployDefinitions struct {
	Users  []deployUser `json:"users"`
	VHosts []struct {
		Name string `json:"name"`
	} `json:"vhosts"`
	Permissions []deployPermission `json:"permissions"`
	Exchanges   []struct {
		Name       string         `json:"name"`
		VHost      string         `json:"vhost"`
		Type       string         `json:"type"`
		Durable    bool           `json:"durable"`
		AutoDelete bool           `json:"auto_delete"`
		Internal   bool           `json:"internal"`
		Arguments  map[string]any `json:"arguments"`
	} `json:"exchanges"`
	Queues []struct {
		Name       string         `json:"name"`
		VHost      string         `json:"vhost"`
		Durable    bool           `json:"durable"`
		AutoDelete bool           `json:"auto_delete"`
		Arguments  map[string]any `json:"arguments"`
	} `json:"queues"`
	Bindings []struct {
		Source          string         `json:"source"`
		VHost           string         `json:"vhost"`
		Destination     string         `json:"destination"`
		DestinationType string         `json:"destination_type"`
		RoutingKey      string         `json:"routing_key"`
		Arguments       map[string]any `json:"arguments"`
	} `json:"bindings"`
}

type deployUser struct {
	Name     string   `json:"name"`
	Password string   `json:"password"`
	Tags     []string `json:"tags"`
}

type deployPermission struct {
	User      string `json:"user"`
	VHost     string `json:"vhost"`
	Configure string `json:"configure"`
	Write     string `json:"write"`
	Read      string `json:"read"`
}

func deployParseDefinitions(b []byte) (deployDefinitions, error) {
	var d deployDefinitions
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	return d, dec.Decode(&d)
}

func deployLoadDefinitions(t *testing.T) deployDefinitions {
	t.Helper()
	d, err := deployParseDefinitions(deployRead(t, "deploy/rabbitmq/definitions.json"))
	if err != nil {
		t.Fatalf("deploy/rabbitmq/definitions.json: %v", err)
	}
	return d
}

var deployPlaceholderRE = regexp.MustCompile(`^\$\{([A-Z][A-Z0-9_]*)\}$`)

// deployPlaceholder returns VAR of a password "${VAR}", which
// entrypoint.sh replaces with the variable's value.
func deployPlaceholder(t *testing.T, pw string) string {
	t.Helper()
	m := deployPlaceholderRE.FindStringSubmatch(pw)
	if m == nil {
		t.Fatalf("password %q is not a ${VAR} placeholder: passwords come from the environment", pw)
	}
	return m[1]
}

// deployTopology is every queue and exchange pkg/rabbit declares.
func deployTopology() (queues, exchanges []string) {
	for _, q := range rabbit.Queues {
		queues = append(queues, q, rabbit.DeadLetterQueue(q))
	}
	return queues, []string{rabbit.Exchange, rabbit.DeadLetterExchange}
}

// deployNeeds is the resources each kind of permission must cover for a
// program, from what its code does through pkg/rabbit (RabbitMQ's access
// control guide lists the permission each AMQP method needs):
//   - on every (re)connect it declares both exchanges and every queue
//     (exchange.declare, queue.declare: configure) and binds each queue
//     (queue.bind: write on the queue, read on the exchange);
//   - it publishes to the exchange bookshop and dead-letters to
//     bookshop.dlx (basic.publish: write on the exchange);
//   - it consumes its queue, the orchestrator also the dead-letter queues
//     (basic.consume, basic.get: read on the queue).
func deployNeeds(p deployProgram) (configure, write, read []string) {
	queues, exchanges := deployTopology()
	configure = append(slices.Clone(queues), exchanges...)
	write = append(slices.Clone(queues), exchanges...)
	read = append(slices.Clone(exchanges), p.reads...)
	return configure, write, read
}

// deployUniverse is every resource name a permission could be asked about:
// the topology, RabbitMQ's own exchanges, and near misses of the names.
func deployUniverse() []string {
	queues, exchanges := deployTopology()
	u := append(slices.Clone(queues), exchanges...)
	u = append(u, "amq.default", "amq.direct", "amq.fanout", "amq.topic", "amq.headers",
		"amq.match", "amq.rabbitmq.trace", "", "deploy-probe", "bookshop.dead-letter",
		"bookshop.dlx.dead-letter", "bookshopx", "xbookshop")
	for _, q := range rabbit.Queues {
		u = append(u, q+"2", "x"+q, q+".dead-letter.x", q+".other", "bookshop."+q)
	}
	return u
}

func TestDeployDefinitions(t *testing.T) {
	d := deployLoadDefinitions(t)
	if len(d.VHosts) != 1 || d.VHosts[0].Name != deployVHost {
		t.Fatalf("vhosts %+v, want only %s", d.VHosts, deployVHost)
	}
	queues, exchanges := deployTopology()

	t.Run("topology", func(t *testing.T) {
		var gotEx []string
		for _, e := range d.Exchanges {
			gotEx = append(gotEx, e.Name)
			if e.VHost != deployVHost || e.Type != amqp.ExchangeDirect || !e.Durable || e.AutoDelete || e.Internal || len(e.Arguments) != 0 {
				t.Errorf("exchange %+v: pkg/rabbit declares it direct, durable, not auto-delete, not internal, without arguments in vhost %s", e, deployVHost)
			}
		}
		if !slices.Equal(deploySorted(gotEx), deploySorted(exchanges)) {
			t.Errorf("exchanges %v, pkg/rabbit declares %v", gotEx, exchanges)
		}
		var gotQ []string
		for _, q := range d.Queues {
			gotQ = append(gotQ, q.Name)
			want := map[string]any{amqp.QueueTypeArg: amqp.QueueTypeQuorum}
			if slices.Contains(rabbit.Queues, q.Name) {
				want["x-delivery-limit"] = json.Number(strconv.Itoa(deployDeliveryLimit))
				want["x-dead-letter-exchange"] = rabbit.DeadLetterExchange
				want["x-dead-letter-routing-key"] = q.Name
			}
			if q.VHost != deployVHost || !q.Durable || q.AutoDelete || fmt.Sprint(q.Arguments) != fmt.Sprint(want) {
				t.Errorf("queue %s: durable %v, auto_delete %v, arguments %v in vhost %s; pkg/rabbit declares it durable with %v in %s",
					q.Name, q.Durable, q.AutoDelete, q.Arguments, q.VHost, want, deployVHost)
			}
		}
		if !slices.Equal(deploySorted(gotQ), deploySorted(queues)) {
			t.Errorf("queues %v, pkg/rabbit declares %v", gotQ, queues)
		}
		type binding struct{ source, dest, key string }
		var gotB, wantB []binding
		for _, b := range d.Bindings {
			gotB = append(gotB, binding{b.Source, b.Destination, b.RoutingKey})
			if b.VHost != deployVHost || b.DestinationType != "queue" || len(b.Arguments) != 0 {
				t.Errorf("binding %+v: want a queue binding without arguments in %s", b, deployVHost)
			}
		}
		for _, q := range rabbit.Queues {
			wantB = append(wantB, binding{rabbit.Exchange, q, q}, binding{rabbit.DeadLetterExchange, rabbit.DeadLetterQueue(q), q})
		}
		cmp := func(a, b binding) int {
			return strings.Compare(a.source+" "+a.dest+" "+a.key, b.source+" "+b.dest+" "+b.key)
		}
		slices.SortFunc(gotB, cmp)
		slices.SortFunc(wantB, cmp)
		if !slices.Equal(gotB, wantB) {
			t.Errorf("bindings %v, pkg/rabbit binds %v", gotB, wantB)
		}
	})

	t.Run("users", func(t *testing.T) {
		env := deployLoadEnv(t)
		users := map[string]deployUser{}
		for _, u := range d.Users {
			if _, dup := users[u.Name]; dup {
				t.Errorf("user %s twice", u.Name)
			}
			users[u.Name] = u
			v := deployPlaceholder(t, u.Password)
			// entrypoint.sh's rule, so that `cp .env.example .env` boots.
			if val := env.set[v]; len(val) < 12 || !regexp.MustCompile(`^[A-Za-z0-9._~-]+$`).MatchString(val) {
				t.Errorf(".env.example's %s=%q: want at least 12 characters from A-Z a-z 0-9 . _ ~ -", v, val)
			}
		}
		want := []string{"admin"}
		for _, p := range deployPrograms() {
			want = append(want, p.name)
			u := users[p.name]
			if u.Password != "${"+strings.ToUpper(p.name)+"_AMQP_PASSWORD}" {
				t.Errorf("user %s: password %q, want ${%s_AMQP_PASSWORD}", p.name, u.Password, strings.ToUpper(p.name))
			}
			if len(u.Tags) != 0 {
				t.Errorf("user %s has tags %v: a service needs no management access", p.name, u.Tags)
			}
		}
		if !slices.Equal(users["admin"].Tags, []string{"administrator"}) {
			t.Errorf("user admin has tags %v, want [administrator]", users["admin"].Tags)
		}
		var got []string
		for name := range users {
			got = append(got, name)
		}
		if !slices.Equal(deploySorted(got), deploySorted(want)) {
			t.Errorf("users %v, want %v", got, want)
		}
	})

	perms := map[string]deployPermission{}
	for _, p := range d.Permissions {
		if p.VHost != deployVHost {
			t.Errorf("permission of %s on vhost %q, want %s", p.User, p.VHost, deployVHost)
		}
		if _, dup := perms[p.User]; dup {
			t.Errorf("two permissions for %s", p.User)
		}
		perms[p.User] = p
	}
	if len(perms) != len(d.Users) {
		t.Errorf("%d permissions for %d users", len(perms), len(d.Users))
	}
	universe := deployUniverse()
	for _, p := range deployPrograms() {
		t.Run("permissions/"+p.name, func(t *testing.T) {
			perm, ok := perms[p.name]
			if !ok {
				t.Fatalf("user %s has no permissions on %s", p.name, deployVHost)
			}
			configure, write, read := deployNeeds(p)
			for _, c := range []struct {
				kind, regex string
				need        []string
			}{{"configure", perm.Configure, configure}, {"write", perm.Write, write}, {"read", perm.Read, read}} {
				// RabbitMQ matches the regex anywhere in the name, as
				// regexp.MatchString does.
				re, err := regexp.Compile(c.regex)
				if err != nil {
					t.Fatalf("%s regex %q: %v", c.kind, c.regex, err)
				}
				for _, name := range universe {
					needed := slices.Contains(c.need, name)
					if got := re.MatchString(name); got != needed {
						t.Errorf("%s %s %q: allowed %v, its code needs %v (regex %q)", p.name, c.kind, name, got, needed, c.regex)
					}
				}
			}
		})
	}
}

func deploySorted(s []string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	return s
}

// ---------------------------------------------------------------------------
// The definitions on a real broker

// deployLockBroker takes the e2e tests' machine-wide broker lock (see
// harness.LockBroker) shared, so that no test restarts the broker meanwhile.
func deployLockBroker(t *testing.T) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "bookshop-e2e-broker.lock"), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		t.Fatalf("open broker lock: %v", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH); err != nil {
		f.Close()
		t.Fatalf("take broker lock: %v", err)
	}
	t.Cleanup(func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	})
}

func deployCtl(t *testing.T, args ...string) []byte {
	t.Helper()
	return deployCtlStdin(t, nil, args...)
}

func deployCtlStdin(t *testing.T, stdin []byte, args ...string) []byte {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("rabbitmqctl", args...)
	cmd.Stdin = bytes.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("rabbitmqctl %s: %v\n%s%s", strings.Join(args, " "), err, stdout.Bytes(), stderr.Bytes())
	}
	return stdout.Bytes()
}

// deployListJSON runs a rabbitmqctl list command on vhost and returns its
// rows as canonical JSON strings, sorted, leaving out RabbitMQ's own
// exchanges and the default exchange's bindings.
func deployListJSON(t *testing.T, what, vhost string, items ...string) []string {
	t.Helper()
	rows, err := deployList(what, vhost, items...)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func deployList(what, vhost string, items ...string) ([]string, error) {
	var stdout, stderr bytes.Buffer
	args := append([]string{what, "-p", vhost}, items...)
	cmd := exec.Command("rabbitmqctl", append(args, "--formatter", "json", "--quiet")...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("rabbitmqctl %s: %w\n%s%s", strings.Join(args, " "), err, stdout.Bytes(), stderr.Bytes())
	}
	var rows []map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &rows); err != nil {
		return nil, fmt.Errorf("rabbitmqctl %s output %q: %w", what, stdout.Bytes(), err)
	}
	var s []string
	for _, r := range rows {
		if n, _ := r["name"].(string); what == "list_exchanges" && (n == "" || strings.HasPrefix(n, "amq.")) {
			continue
		}
		if src, ok := r["source_name"].(string); ok && src == "" {
			continue
		}
		// Arguments come as [name, type, value] in the order of
		// declaration; compare the values by name (RabbitMQ compares
		// integers of any width as equal).
		if list, ok := r["arguments"].([]any); ok {
			args := map[string]any{}
			for _, a := range list {
				if kv, ok := a.([]any); ok && len(kv) == 3 {
					args[fmt.Sprint(kv[0])] = kv[2]
				}
			}
			r["arguments"] = args
		}
		b, err := json.Marshal(r) // map keys sorted
		if err != nil {
			return nil, err
		}
		s = append(s, string(b))
	}
	sort.Strings(s)
	return s, nil
}

func deployBrokerBase(t *testing.T) *url.URL {
	t.Helper()
	base := os.Getenv("BOOKSHOP_TEST_AMQP")
	if base == "" {
		base = "amqp://guest:guest@127.0.0.1:5672/"
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("BOOKSHOP_TEST_AMQP: %v", err)
	}
	return u
}

// deployRefused reports whether err is the broker's 403 ACCESS_REFUSED.
func deployRefused(err error) bool {
	var ae *amqp.Error
	return errors.As(err, &ae) && ae.Code == amqp.AccessRefused
}

// deployOnChannel runs op on a fresh channel of a fresh connection as user.
func deployOnChannel(t *testing.T, amqpURL string, op func(ch *amqp.Channel) error) error {
	t.Helper()
	conn, err := amqp.Dial(amqpURL)
	if err != nil {
		t.Fatalf("connect %s: %v", deployRedact(amqpURL), err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatalf("open channel: %v", err)
	}
	return op(ch)
}

// deployPublish publishes one persistent, mandatory message with a
// confirm and reports the broker's refusal (or nack) as an error.
func deployPublish(ctx context.Context, ch *amqp.Channel, exchange, key string) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	closed := ch.NotifyClose(make(chan *amqp.Error, 1))
	if err := ch.Confirm(false); err != nil {
		return err
	}
	dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, exchange, key, true, false,
		amqp.Publishing{DeliveryMode: amqp.Persistent, Body: []byte("deploy probe")})
	if err != nil {
		return err
	}
	select {
	case e := <-closed: // a refused publish closes the channel
		if e != nil {
			return e
		}
		return errors.New("channel closed")
	case <-dc.Done():
		if !dc.Acked() {
			return errors.New("nacked")
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func deployRedact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable url)"
	}
	return u.Redacted()
}

func TestDeployDefinitionsOnBroker(t *testing.T) {
	t.Parallel() // its own vhost and users; it holds the broker lock shared
	if _, err := exec.LookPath("rabbitmqctl"); err != nil {
		t.Skip("no rabbitmqctl: no local RabbitMQ to import the definitions into")
	}
	deployLockBroker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// The definitions as entrypoint.sh renders them, in a vhost and with
	// users of this test's own: the broker is shared with other tests.
	tag := "bookshop-deploy-" + strings.ToLower(rand.Text()[:10])
	raw := string(deployRead(t, "deploy/rabbitmq/definitions.json"))
	passwords := map[string]string{}
	for _, m := range regexp.MustCompile(`"\$\{([A-Z][A-Z0-9_]*)\}"`).FindAllStringSubmatch(raw, -1) {
		passwords[m[1]] = rand.Text()
		raw = strings.ReplaceAll(raw, m[0], strconv.Quote(passwords[m[1]]))
	}
	d, err := deployParseDefinitions([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	var generic map[string]any
	if err := json.Unmarshal([]byte(raw), &generic); err != nil {
		t.Fatal(err)
	}
	userPrefix := tag + "-"
	for _, section := range []string{"vhosts", "queues", "exchanges", "bindings", "permissions"} {
		for _, e := range generic[section].([]any) {
			m := e.(map[string]any)
			key := "vhost"
			if section == "vhosts" {
				key = "name"
			}
			m[key] = tag
			if section == "permissions" {
				m["user"] = userPrefix + m["user"].(string)
			}
		}
	}
	for _, e := range generic["users"].([]any) {
		m := e.(map[string]any)
		m["name"] = userPrefix + m["name"].(string)
	}
	t.Cleanup(func() {
		// At once: each rabbitmqctl takes a second or two to start.
		cmds := []*exec.Cmd{exec.Command("rabbitmqctl", "delete_vhost", tag)}
		for _, u := range d.Users {
			cmds = append(cmds, exec.Command("rabbitmqctl", "delete_user", userPrefix+u.Name))
		}
		for _, c := range cmds {
			if err := c.Start(); err != nil {
				t.Errorf("clean up: %v", err)
			}
		}
		for _, c := range cmds {
			if c.Process != nil {
				if err := c.Wait(); err != nil {
					t.Errorf("clean up: %s: %v", strings.Join(c.Args, " "), err)
				}
			}
		}
	})
	b, err := json.Marshal(generic)
	if err != nil {
		t.Fatal(err)
	}
	// On standard input: rabbitmqctl may run as another user, who cannot
	// read the test's temporary files (and the passwords stay off disk).
	deployCtlStdin(t, b, "import_definitions", "--format", "json")

	// The CLI's import may finish after it returns: wait for its last part.
	want := 2 * len(rabbit.Queues)
	for {
		if strings.Contains(string(deployCtl(t, "list_vhosts", "--quiet")), tag) &&
			len(deployListJSON(t, "list_bindings", tag, "source_name", "destination_name", "routing_key")) == want {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("the definitions were not imported within the deadline")
		}
		time.Sleep(200 * time.Millisecond)
	}

	// The imported topology is the one pkg/rabbit declares on an empty vhost.
	codeURL := rabbittest.VHost(t)
	if err := rabbit.Declare(ctx, rabbit.Config{URL: codeURL}); err != nil {
		t.Fatalf("pkg/rabbit's declare: %v", err)
	}
	codeVHost := strings.TrimPrefix(deployMustParse(t, codeURL).Path, "/")
	type listing struct {
		what  string
		items []string
		rows  [2][]string // imported, declared
		errs  [2]error
	}
	lists := []*listing{
		{what: "list_queues", items: []string{"name", "durable", "auto_delete", "arguments"}},
		{what: "list_exchanges", items: []string{"name", "type", "durable", "auto_delete", "internal", "arguments"}},
		{what: "list_bindings", items: []string{"source_name", "destination_name", "destination_kind", "routing_key", "arguments"}},
	}
	var wg sync.WaitGroup // at once: each rabbitmqctl takes a second or two to start
	for _, l := range lists {
		for i, vhost := range []string{tag, codeVHost} {
			wg.Go(func() { l.rows[i], l.errs[i] = deployList(l.what, vhost, l.items...) })
		}
	}
	wg.Wait()
	for _, l := range lists {
		if err := errors.Join(l.errs[:]...); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(l.rows[0], l.rows[1]) {
			t.Errorf("%s: the definitions have\n  %s\npkg/rabbit declares\n  %s", l.what,
				strings.Join(l.rows[0], "\n  "), strings.Join(l.rows[1], "\n  "))
		}
	}

	base := deployBrokerBase(t)
	queues, _ := deployTopology()
	for _, p := range deployPrograms() {
		t.Run(p.name, func(t *testing.T) {
			u := *base
			u.User = url.UserPassword(userPrefix+p.name, passwords[strings.ToUpper(p.name)+"_AMQP_PASSWORD"])
			u.Path, u.RawPath = "/"+tag, ""
			cfg := rabbit.Config{URL: u.String(), ConnectionName: "deploy-test-" + p.name}

			// What the code does: declare everything (on every connect),
			// publish to every queue through the exchange, dead-letter,
			// consume its own queue(s).
			if err := rabbit.Declare(ctx, cfg); err != nil {
				t.Fatalf("declare the topology as %s: %v", p.name, err)
			}
			pub := rabbit.NewPublisher(cfg, nil)
			defer pub.Close()
			for _, q := range rabbit.Queues {
				err := pub.Publish(ctx, []rabbit.Publishing{{RoutingKey: q, MessageID: "deploy-" + q, Type: "DeployProbe", Body: []byte("{}")}})
				if err != nil {
					t.Errorf("publish to %s as %s: %v", q, p.name, err)
				}
			}
			if err := deployOnChannel(t, cfg.URL, func(ch *amqp.Channel) error {
				return deployPublish(ctx, ch, rabbit.DeadLetterExchange, p.name)
			}); err != nil {
				t.Errorf("dead-letter to %s as %s: %v", rabbit.DeadLetterExchange, p.name, err)
			}
			cctx, stop := context.WithCancel(ctx)
			c := rabbit.NewConsumer(cfg, p.name, func(_ context.Context, ds []rabbit.Delivery) []error {
				return make([]error, len(ds))
			}, nil)
			done := make(chan error, 1)
			go func() { done <- c.Run(cctx) }()
			for deadline := time.Now().Add(15 * time.Second); !c.Connected() && time.Now().Before(deadline); {
				time.Sleep(20 * time.Millisecond)
			}
			connected := c.Connected()
			stop()
			if err := <-done; err != nil || !connected {
				t.Errorf("%s's consumer of %s never ran (connected %v, err %v)", p.name, p.name, connected, err)
			}

			// Reading: exactly its own queues.
			for _, q := range queues {
				err := deployOnChannel(t, cfg.URL, func(ch *amqp.Channel) error {
					_, err := ch.Consume(q, "", false, false, false, false, nil)
					return err
				})
				switch allowed := slices.Contains(p.reads, q); {
				case allowed && err != nil:
					t.Errorf("%s may not consume %s: %v", p.name, q, err)
				case !allowed && !deployRefused(err):
					t.Errorf("%s consumes %s (err %v), which its code never reads", p.name, q, err)
				}
			}
			// Nothing outside the topology.
			for what, op := range map[string]func(ch *amqp.Channel) error{
				"declare a queue of its own": func(ch *amqp.Channel) error {
					_, err := ch.QueueDeclare("deploy-probe", false, true, false, false, nil)
					return err
				},
				"declare an exchange of its own": func(ch *amqp.Channel) error {
					return ch.ExchangeDeclare("deploy-probe", amqp.ExchangeFanout, false, true, false, false, nil)
				},
				"publish through the default exchange": func(ch *amqp.Channel) error {
					return deployPublish(ctx, ch, "", "orchestrator")
				},
				"publish through amq.direct": func(ch *amqp.Channel) error {
					return deployPublish(ctx, ch, "amq.direct", "orchestrator")
				},
			} {
				if err := deployOnChannel(t, cfg.URL, op); !deployRefused(err) {
					t.Errorf("%s may %s (err %v)", p.name, what, err)
				}
			}
		})
	}
}

func deployMustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
