package api_test

import (
	"net/http"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/api"
)

func TestCustomerUpdateRetention(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	ctx := t.Context()
	b.createCustomer(t, "6269")
	days := func(n int) *api.CustomerUpdateRequest { return &api.CustomerUpdateRequest{RetentionDays: &n} }

	for _, want := range []int{7, herald.MaxRetentionDays, 0} {
		got, err := b.client.CustomerUpdate(ctx, "6269", days(want))
		if err != nil {
			t.Fatalf("update to %d days: %v", want, err)
		}
		if got.ID != "6269" || got.RetentionDays != want {
			t.Fatalf("update to %d days = %+v", want, got)
		}
		stored, err := b.store.CustomerRetentionGet(ctx, "6269")
		if err != nil || stored != want {
			t.Fatalf("stored retention = %d (err %v), want %d", stored, err, want)
		}
	}

	for _, tc := range []struct {
		name string
		id   string
		req  *api.CustomerUpdateRequest
		code string
	}{
		{"Negative", "6269", days(-1), herald.EINVALID},
		{"TooLong", "6269", days(herald.MaxRetentionDays + 1), herald.EINVALID},
		{"Missing", "6269", &api.CustomerUpdateRequest{}, herald.EINVALID},
		{"UnknownCustomer", "nope", days(7), herald.ENOTFOUND},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := b.client.CustomerUpdate(ctx, tc.id, tc.req)
			wantCode(t, err, tc.code)
		})
	}

	r := b.rawRequest(t, http.MethodPatch, "/api/v1/customers/6269", nil, `{"retentionDays":14}`)
	if r.status != http.StatusOK || string(r.body) == "" {
		t.Fatalf("raw PATCH: status %d body %s", r.status, r.body)
	}
	r = b.rawRequest(t, http.MethodPatch, "/api/v1/customers/6269", nil, `{"retentionDays":14,"nickname":"Renamed"}`)
	if r.status != http.StatusBadRequest {
		t.Fatalf("PATCH with an unknown field: status %d, want 400", r.status)
	}
}
