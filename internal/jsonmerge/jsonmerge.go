// Package jsonmerge lays one decoded JSON value over another as Okta builds the body of a profile
// push: objects merge key by key (recursively), anything else is replaced, and a null removes the
// key. The fake Okta's replay and the conformance suite's push share it, so the two send the same
// bodies; it is internal because no importer of either needs it.
package jsonmerge

// Merge lays over on top of base: objects merge key by key (recursively), anything else is
// replaced, and a null in over removes the key. Neither argument is changed.
func Merge(base, over any) any {
	if _, ok := over.(map[string]any); !ok {
		return Copy(over) // base is not even copied
	}
	return Into(Copy(base), over)
}

// Into is Merge for a base the caller owns: base is changed in place rather than copied first.
// over is still never changed, nor shared with the result.
func Into(base, over any) any {
	bm, ok1 := base.(map[string]any)
	om, ok2 := over.(map[string]any)
	if !ok1 || !ok2 {
		return Copy(over)
	}
	for k, v := range om {
		if v == nil {
			delete(bm, k)
			continue
		}
		bm[k] = Into(bm[k], v)
	}
	return bm
}

// Copy copies a decoded JSON value: its objects and arrays are new, all the way down.
func Copy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = Copy(e)
		}
		return m
	case []any:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = Copy(e)
		}
		return a
	}
	return v
}
