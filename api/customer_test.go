package api_test

import (
	"net/http"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/api"
)

func TestCustomer(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	ctx := t.Context()

	created, err := b.client.CustomerCreate(ctx, &api.CustomerCreateRequest{ID: "6269", Name: "Acme"})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if created.ID != "6269" || created.Name != "Acme" || !created.CreatedAt.Equal(b.clock.Now()) {
		t.Fatalf("created = %+v", created)
	}
	b.createCustomer(t, "1000")

	got, err := b.client.CustomerGet(ctx, "6269")
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if *got != *created {
		t.Fatalf("get = %+v, want %+v", got, created)
	}
	list, err := b.client.CustomerList(ctx)
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	if len(list) != 2 || list[0].ID != "1000" || list[1].ID != "6269" {
		t.Fatalf("list = %+v, want 1000 then 6269", list)
	}

	_, err = b.client.CustomerCreate(ctx, &api.CustomerCreateRequest{ID: "6269", Name: "Again"})
	wantCode(t, err, herald.ECONFLICT)
	_, err = b.client.CustomerGet(ctx, "nope")
	wantCode(t, err, herald.ENOTFOUND)
	_, err = b.client.CustomerCreate(ctx, &api.CustomerCreateRequest{ID: "has space", Name: "X"})
	wantCode(t, err, herald.EINVALID)
	_, err = b.client.CustomerCreate(ctx, &api.CustomerCreateRequest{ID: "x1"})
	wantCode(t, err, herald.EINVALID)

	r := b.rawRequest(t, http.MethodPost, "/api/v1/customers", nil, `{"id":"77","name":"Seven"}`)
	if r.status != http.StatusCreated || r.header.Get("Location") != "/api/v1/customers/77" {
		t.Fatalf("raw create: status %d, Location %q", r.status, r.header.Get("Location"))
	}
}
