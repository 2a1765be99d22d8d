// Package matchers holds Gomega matchers that make an assertion read like the invariant it
// checks: Expect(after).To(PreserveLinksAndMemberships(before, spec.Managed)).
package matchers

import (
	"fmt"

	"github.com/onsi/gomega/types"

	"github.com/scimreplay/scimreplay/harness"
)

// PreserveLinksAndMemberships succeeds when a snapshot holds the same users (ids, externalIds,
// active flags, normalised emails, links), the same groups with the same member multisets, and
// no new unlink audit line, compared with before. Its failure message is the diff in words,
// unmanaged users first.
func PreserveLinksAndMemberships(before *harness.Snapshot, managed harness.Classifier) types.GomegaMatcher {
	return &preserve{before: before, managed: managed}
}

type preserve struct {
	before  *harness.Snapshot
	managed harness.Classifier
	diff    harness.Diff
}

func (m *preserve) Match(actual any) (bool, error) {
	after, ok := actual.(*harness.Snapshot)
	if !ok || after == nil {
		return false, fmt.Errorf("PreserveLinksAndMemberships expects a *harness.Snapshot, got %T", actual)
	}
	if m.before == nil {
		return false, fmt.Errorf("PreserveLinksAndMemberships was given no snapshot to compare with")
	}
	m.diff = harness.Compare(m.before, after, m.managed)
	return m.diff.Empty(), nil
}

func (m *preserve) FailureMessage(any) string {
	return "the force sync changed link or membership state:\n" + m.diff.String()
}

func (m *preserve) NegatedFailureMessage(any) string {
	return "expected the force sync to change link or membership state, but nothing moved"
}

// MoveNothing succeeds when a diff (harness.Diff, or one okta.Replay computed over the settle
// window) is empty. Its failure message is the diff in words, with when a re-read saw it.
func MoveNothing() types.GomegaMatcher { return &moveNothing{} }

type moveNothing struct{ diff harness.Diff }

func (m *moveNothing) Match(actual any) (bool, error) {
	switch d := actual.(type) {
	case harness.Diff:
		m.diff = d
	case *harness.Diff:
		if d == nil {
			return false, fmt.Errorf("MoveNothing expects a harness.Diff, got a nil *harness.Diff")
		}
		m.diff = *d
	default:
		return false, fmt.Errorf("MoveNothing expects a harness.Diff, got %T", actual)
	}
	return m.diff.Empty(), nil
}

func (m *moveNothing) FailureMessage(any) string {
	return "the force sync changed link or membership state:\n" + m.diff.String()
}

func (m *moveNothing) NegatedFailureMessage(any) string {
	return "expected the force sync to change link or membership state, but nothing moved"
}
