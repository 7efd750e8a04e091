package groupcommit

// Isolate finds the items a store refuses in a batch that failed as a
// whole, so that one bad item fails alone instead of failing, or holding
// back, every item committed with it.
//
// commit(lo, hi) commits items[lo:hi] in one call. Isolate first tries all
// n, then splits a failing range in halves until the failing items stand
// alone (a bisection: about 2·log2(n) calls for one bad item among n). It
// returns one error per item, nil for each committed one.
//
// split reports whether an error is worth splitting for: false for an
// error that fails any batch alike (the store is down or busy), which then
// fails every item not yet committed, at once. Nil means always. And when
// two single items have failed while nothing has committed yet, the store
// is taken to be failing as a whole, and the rest fail without further
// calls: a store that is down costs about log2(n) calls, not 2n.
func Isolate(n int, commit func(lo, hi int) error, split func(error) bool) []error {
	errs := make([]error, n)
	var (
		committed bool
		strikes   int
		abort     error
	)
	var run func(lo, hi int)
	run = func(lo, hi int) {
		if abort != nil {
			for i := lo; i < hi; i++ {
				errs[i] = abort
			}
			return
		}
		err := commit(lo, hi)
		switch {
		case err == nil:
			committed = true
			return
		case split != nil && !split(err):
			abort = err
			for i := lo; i < hi; i++ {
				errs[i] = err
			}
			return
		case hi-lo == 1:
			errs[lo] = err
			if strikes++; strikes >= 2 && !committed {
				abort = err
			}
			return
		}
		mid := lo + (hi-lo)/2
		run(lo, mid)
		run(mid, hi)
	}
	if n > 0 {
		run(0, n)
	}
	return errs
}
