package dispatch

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/groupcommit"
)

// reducedNote is the error stored, in place of what the partner sent, with
// an attempt whose record the store refused.
const reducedNote = "the partner's reply could not be stored as sent; its body, Location and messages were dropped"

// commit stores batch and returns the records not stored. A batch the
// store refuses is split to isolate the records that make it fail (one
// partner's reply, say), and such a record is stored in a reduced form,
// without what the partner sent (AttemptRecord.Reduced), so that it can
// never hold back everyone else's results by being retried with them.
// What comes back is what failed for a reason any batch would meet (the
// store is down or busy), for the caller to retry later.
func (r *recorder) commit(batch []*herald.AttemptRecord) []*herald.AttemptRecord {
	call := func(recs []*herald.AttemptRecord) error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return r.store.DeliveryRecordAttempts(ctx, recs)
	}
	if err := call(batch); err == nil {
		return nil
	} else if len(batch) == 1 || !worthSplitting(err) {
		if len(batch) == 1 && worthSplitting(err) && r.storeReduced(batch[0], err, call) {
			return nil
		}
		r.log.Error("record attempts", slog.Any("error", err), slog.Int("attempts", len(batch)))
		return batch
	}
	errs := groupcommit.Isolate(len(batch), func(lo, hi int) error {
		err := call(batch[lo:hi])
		if err != nil && hi-lo == 1 && worthSplitting(err) && r.storeReduced(batch[lo], err, call) {
			return nil
		}
		return err
	}, worthSplitting)
	var failed, refused []*herald.AttemptRecord
	var last error
	for i, err := range errs {
		switch {
		case err == nil:
		case worthSplitting(err):
			refused = append(refused, batch[i])
			last = err
		default:
			failed = append(failed, batch[i])
			last = err
		}
	}
	if len(failed)+len(refused) == len(batch) {
		// Nothing was stored: the store is failing as a whole.
		r.log.Error("record attempts", slog.Any("error", last), slog.Int("attempts", len(batch)))
		return batch
	}
	if len(refused) > 0 {
		// The store took the others but refused these even without the
		// partner's reply: retrying them would block every later
		// result. Their leases run out and the deliveries are attempted
		// again, which is at-least-once.
		for _, rec := range refused {
			r.log.Error("attempt not recorded: the store refused it; the delivery will be attempted again",
				slog.String("delivery_id", rec.Lease.DeliveryID), slog.String("error_code", herald.ErrorCode(last)))
		}
	}
	if len(failed) > 0 {
		r.log.Error("record attempts", slog.Any("error", last), slog.Int("attempts", len(failed)))
	}
	return failed
}

// storeReduced stores rec without what the partner sent, after the store
// refused it whole for err. It reports whether that worked.
func (r *recorder) storeReduced(rec *herald.AttemptRecord, err error, call func([]*herald.AttemptRecord) error) bool {
	if call([]*herald.AttemptRecord{rec.Reduced(reducedNote)}) != nil {
		return false
	}
	// Warn, not Error: Herald is working; one reply was unusual. The
	// store's error can quote the reply, so only its code is logged.
	r.log.Warn("attempt stored without the partner's reply: the store refused it",
		slog.String("delivery_id", rec.Lease.DeliveryID), slog.String("error_code", herald.ErrorCode(err)))
	return true
}

// worthSplitting reports whether a failed write may be the fault of what
// one of its records holds, rather than of a store that would refuse any
// write now (busy, shutting down, or too slow).
func worthSplitting(err error) bool {
	return herald.ErrorCode(err) != herald.EUNAVAILABLE &&
		!errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled)
}
