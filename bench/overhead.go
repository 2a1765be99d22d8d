package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/scimreplay/scimreplay/fakes/okta"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/scenario"
)

// sentRequest is one request the replay engine sent, kept so a plain loop can send it again.
type sentRequest struct {
	method, url string
	body        []byte
}

// OverheadResult compares the replay engine with a plain net/http loop sending the same requests
// to the same target.
type OverheadResult struct {
	Requests int           // requests per round
	Rounds   int           // rounds of each
	Replay   time.Duration // median round of the replay engine
	Plain    time.Duration // median round of the plain loop
	// PairRatio is the median, over the pairs of rounds run back to back, of the replay round
	// over the plain one: a busy machine slows both rounds of a pair alike, so this is steadier
	// than the ratio of the medians.
	PairRatio float64
	// PairRatioP25 and PairRatioP75 are the quartiles of the pairs' ratios: how far one pair
	// strays from the median on this machine.
	PairRatioP25, PairRatioP75 float64
	// ReplayCPU and PlainCPU are the median CPU time this process used in a round of each: the
	// engine's own cost, which a busy machine inflates far less than wall time.
	ReplayCPU, PlainCPU time.Duration
}

// Ratio is the replay engine's cost relative to the plain loop: the median pair ratio.
func (r OverheadResult) Ratio() float64 { return r.PairRatio }

// ReplayOverhead replays steps (the run must be provisioned) and, in the same run, sends the very
// requests the engine sent with a plain net/http loop: same target, same headers, same bodies,
// one reused keep-alive connection each. Rounds run in pairs, alternating which goes first
// (replay, plain, plain, replay, …) so drift of the machine hits both alike; the ratio is the
// median of the pairs' ratios. The first round of each is a warm-up and is not counted.
func ReplayOverhead(ctx context.Context, c *harness.Client, run *okta.Run, steps []scenario.Step, rounds int) (OverheadResult, error) {
	var res OverheadResult
	rp := &okta.Replayer{Client: c}

	// Warm-up replay, recording the requests for the plain loop.
	var reqs []sentRequest
	c.Observe(func(e harness.Exchange) {
		reqs = append(reqs, sentRequest{method: e.Method, url: e.URL, body: []byte(e.ReqBody)})
	})
	err := rp.Phase(ctx, run, "warm-up", steps)
	c.Observe(nil)
	if err != nil {
		return res, fmt.Errorf("replay: %w", err)
	}
	if len(reqs) == 0 {
		return res, fmt.Errorf("the steps sent no request")
	}
	res.Requests = len(reqs)

	plain := &http.Client{Transport: plainTransport()}
	defer plain.CloseIdleConnections()
	header := harness.OktaHeaders()
	header.Set("Authorization", "Bearer "+c.Token)
	if _, err := plainRound(ctx, plain, header, reqs); err != nil {
		return res, err
	}

	var replays, plains, replayCPU, plainCPU []time.Duration
	replay := func() error {
		cpu, start := CPUTime(), time.Now()
		if err := rp.Phase(ctx, run, "replay", steps); err != nil {
			return fmt.Errorf("replay: %w", err)
		}
		replays = append(replays, time.Since(start))
		replayCPU = append(replayCPU, CPUTime()-cpu)
		return nil
	}
	plainOnce := func() error {
		cpu := CPUTime()
		d, err := plainRound(ctx, plain, header, reqs)
		plains = append(plains, d)
		plainCPU = append(plainCPU, CPUTime()-cpu)
		return err
	}
	for i := 0; i < rounds; i++ {
		first, second := replay, plainOnce
		if i%2 == 1 {
			first, second = plainOnce, replay
		}
		if err := first(); err != nil {
			return res, err
		}
		if err := second(); err != nil {
			return res, err
		}
	}
	res.Rounds = rounds
	res.Replay, res.Plain = Median(replays), Median(plains)
	res.ReplayCPU, res.PlainCPU = Median(replayCPU), Median(plainCPU)
	ratios := make([]float64, rounds)
	for i := range ratios {
		ratios[i] = float64(replays[i]) / float64(plains[i])
	}
	slices.Sort(ratios)
	res.PairRatio = ratios[len(ratios)/2]
	res.PairRatioP25, res.PairRatioP75 = ratios[len(ratios)/4], ratios[len(ratios)*3/4]
	return res, nil
}

// plainTransport is configured like the harness client's: keep-alive, no proxy.
func plainTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 64
	t.MaxIdleConnsPerHost = 64
	t.Proxy = nil
	return t
}

// plainRound sends reqs in order with nothing but net/http: the floor the engine is held to.
func plainRound(ctx context.Context, c *http.Client, header http.Header, reqs []sentRequest) (time.Duration, error) {
	start := time.Now()
	for _, r := range reqs {
		var body io.Reader
		if len(r.body) > 0 {
			body = bytes.NewReader(r.body)
		}
		req, err := http.NewRequestWithContext(ctx, r.method, r.url, body)
		if err != nil {
			return 0, err
		}
		req.Header = header.Clone()
		if body != nil {
			req.Header.Set("Content-Type", "application/scim+json; charset=utf-8")
		}
		resp, err := c.Do(req)
		if err != nil {
			return 0, err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			return 0, err
		}
		if resp.StatusCode/100 != 2 {
			return 0, fmt.Errorf("plain loop: %s %s answered %d", r.method, r.url, resp.StatusCode)
		}
	}
	return time.Since(start), nil
}

// Median of ds (the upper median for an even count); 0 for none.
func Median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
