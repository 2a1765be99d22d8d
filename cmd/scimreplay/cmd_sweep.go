package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/scimreplay/scimreplay/harness"
)

func init() {
	register("sweep", "remove the containers that crashed or killed gate runs left behind", runSweep)
}

// runSweep removes stale run containers: by default those whose gate process on this host is
// gone; --run removes one run's containers; --older-than with --ignore-owner also removes old
// ones whose owner cannot be checked (other hosts, when no run can be going on there). Then it
// prunes the images earlier builds left untagged.
func runSweep(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sweep", flag.ContinueOnError)
	fs.SetOutput(stderr)
	run := fs.String("run", "", "remove every container of this run id, whether its gate still runs or not")
	olderThan := fs.Duration("older-than", 0, "spare containers younger than this")
	ignoreOwner := fs.Bool("ignore-owner", false, "also remove containers whose gate process cannot be checked (another host, old labels); only with --older-than")
	dryRun := fs.Bool("dry-run", false, "only list what would be removed")
	if err := fs.Parse(args); err != nil {
		return exitCannotRun
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "scimreplay sweep: unexpected arguments %q\n", fs.Args())
		return exitCannotRun
	}
	if *ignoreOwner && *olderThan <= 0 {
		fmt.Fprintln(stderr, "scimreplay sweep: --ignore-owner needs --older-than, so that runs in progress are spared")
		return exitCannotRun
	}
	if *run != "" && (*dryRun || *ignoreOwner || *olderThan > 0) {
		fmt.Fprintln(stderr, "scimreplay sweep: --run takes no other flag")
		return exitCannotRun
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	quietDocker()
	var swept []harness.SweptContainer
	var err error
	if *run != "" {
		swept, err = harness.RemoveRun(ctx, *run)
	} else {
		swept, err = harness.SweepStale(ctx, harness.SweepOptions{MinAge: *olderThan, IgnoreOwner: *ignoreOwner, DryRun: *dryRun})
	}
	verb := "removed"
	if *dryRun {
		verb = "would remove"
	}
	for _, c := range swept {
		fmt.Fprintf(stdout, "%s %s\n", verb, c)
	}
	if err != nil {
		fmt.Fprintf(stderr, "scimreplay sweep: %v\n", err)
		return exitCannotRun
	}
	fmt.Fprintf(stdout, "%d container(s) %s\n", len(swept), verb)
	if *run == "" && !*dryRun {
		images, err := harness.PruneImages(ctx, *olderThan)
		if err != nil {
			fmt.Fprintf(stderr, "scimreplay sweep: %v\n", err)
			return exitCannotRun
		}
		fmt.Fprintf(stdout, "%d untagged image(s) of earlier builds removed\n", len(images))
	}
	return exitOK
}
