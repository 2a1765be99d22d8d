package forcesync_test

import (
	"flag"
	"os"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scimreplay/scimreplay/suites/forcesync"
)

var opts forcesync.Options

func init() { opts.Bind(flag.CommandLine, os.Getenv) }

// TestForceSync gates the target given by flags (default: the reference directory with no
// fault) with the scenario catalogue: go test ./suites/forcesync -args -target-image=…
func TestForceSync(t *testing.T) {
	RegisterFailHandler(Fail)
	cfg, err := opts.Config()
	if err != nil {
		t.Fatal(err)
	}
	forcesync.Define(cfg)
	RunSpecs(t, "Force sync", Label("suite:forcesync"))
}
