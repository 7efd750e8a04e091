package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
)

func exercisePartner(t *testing.T, setup platformSetupFunc) {
	t.Run("CredentialsAndTokens", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		a := testfactory.Customer(ctx, t, store, nil)
		b := testfactory.Customer(ctx, t, store, nil)
		newPartner := func(customerID, name string) (*herald.Partner, herald.Secret) {
			secret := herald.NewCredential(herald.CredentialPrefixSecret)
			p := &herald.Partner{CustomerID: customerID, Name: name,
				ClientID:   string(herald.NewCredential(herald.CredentialPrefixClientID)),
				SecretHash: herald.HashCredential(secret), SecretHint: secret.Masked()}
			requireNoError(t, "create partner", store.PartnerCreate(ctx, p))
			return p, secret
		}
		pa, secret := newPartner(a.ID, "Assessments Inc")
		pb, _ := newPartner(b.ID, "Checks Ltd")
		if pa.ID == "" || pa.CreatedAt.IsZero() {
			t.Fatalf("PartnerCreate did not set ID and CreatedAt")
		}

		got, err := store.PartnerGetByClientID(ctx, pa.ClientID)
		requireNoError(t, "get partner by client id", err)
		requireNoDiff(t, "partner", got, pa)
		if !bytes.Equal(got.SecretHash, herald.HashCredential(secret)) {
			t.Fatalf("stored hash does not match the secret")
		}
		got, err = store.PartnerGet(ctx, a.ID, pa.ID)
		requireNoError(t, "get partner", err)
		requireNoDiff(t, "partner", got, pa)
		_, err = store.PartnerGet(ctx, b.ID, pa.ID)
		requireCode(t, err, herald.ENOTFOUND)
		list, err := store.PartnerList(ctx, b.ID)
		requireNoError(t, "list partners", err)
		requireNoDiff(t, "partners of b", list, []*herald.Partner{pb})

		dup := *pb
		dup.ID = ""
		requireCode(t, store.PartnerCreate(ctx, &dup), herald.ECONFLICT)
		requireCode(t, store.PartnerCreate(ctx, &herald.Partner{CustomerID: "nobody", Name: "x", ClientID: "x",
			SecretHash: herald.HashCredential("x")}), herald.ENOTFOUND)
		requireCode(t, store.PartnerCreate(ctx, &herald.Partner{CustomerID: a.ID, Name: "x"}), herald.EINVALID)

		tok := herald.NewCredential(herald.CredentialPrefixToken)
		pt := &herald.PartnerToken{TokenHash: herald.HashCredential(tok), PartnerID: pa.ID, ExpiresAt: base.Add(time.Hour)}
		requireNoError(t, "create token", store.PartnerTokenCreate(ctx, pt))
		if pt.CustomerID != a.ID {
			t.Fatalf("token customer = %q, want the partner's %q", pt.CustomerID, a.ID)
		}
		gt, err := store.PartnerTokenGet(ctx, herald.HashCredential(tok), base)
		requireNoError(t, "get token", err)
		if gt.PartnerID != pa.ID || gt.CustomerID != a.ID || !gt.ExpiresAt.Equal(pt.ExpiresAt) {
			t.Fatalf("token = %+v", gt)
		}
		_, err = store.PartnerTokenGet(ctx, herald.HashCredential(tok), base.Add(time.Hour))
		requireCode(t, err, herald.ENOTFOUND) // expired
		_, err = store.PartnerTokenGet(ctx, herald.HashCredential("other"), base)
		requireCode(t, err, herald.ENOTFOUND)
		requireCode(t, store.PartnerTokenCreate(ctx, &herald.PartnerToken{TokenHash: herald.HashCredential("x"),
			PartnerID: "ptr_nobody", ExpiresAt: base}), herald.ENOTFOUND)

		requireCode(t, store.PartnerDelete(ctx, b.ID, pa.ID), herald.ENOTFOUND)
		requireNoError(t, "delete partner", store.PartnerDelete(ctx, a.ID, pa.ID))
		_, err = store.PartnerTokenGet(ctx, herald.HashCredential(tok), base)
		requireCode(t, err, herald.ENOTFOUND) // revoked with its partner
		_, err = store.PartnerGetByClientID(ctx, pa.ClientID)
		requireCode(t, err, herald.ENOTFOUND)
	})
	t.Run("PartnerTokenPurge", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		c := testfactory.Customer(ctx, t, store, nil)
		p := &herald.Partner{CustomerID: c.ID, Name: "Tokens Inc", ClientID: string(herald.NewCredential(herald.CredentialPrefixClientID)),
			SecretHash: herald.HashCredential("s")}
		requireNoError(t, "create partner", store.PartnerCreate(ctx, p))
		base := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		var expired, live []herald.Secret
		for i := range 5 {
			tok := herald.NewCredential(herald.CredentialPrefixToken)
			// Three expired at base (one exactly at base), two live after it.
			exp := base.Add(time.Duration(i-2) * time.Minute)
			requireNoError(t, "create token", store.PartnerTokenCreate(ctx, &herald.PartnerToken{
				TokenHash: herald.HashCredential(tok), PartnerID: p.ID, ExpiresAt: exp}))
			if i <= 2 {
				expired = append(expired, tok)
			} else {
				live = append(live, tok)
			}
		}
		n, err := store.PartnerTokenPurge(ctx, base)
		requireNoError(t, "purge tokens", err)
		if n != 3 {
			t.Fatalf("purged %d tokens, want 3", n)
		}
		for _, tok := range live {
			_, err := store.PartnerTokenGet(ctx, herald.HashCredential(tok), base)
			requireNoError(t, "live token after purge", err)
		}
		// The purged rows are gone, not merely expired: a clock set back
		// does not find them.
		for _, tok := range expired {
			_, err := store.PartnerTokenGet(ctx, herald.HashCredential(tok), base.Add(-time.Hour))
			requireCode(t, err, herald.ENOTFOUND)
		}
		n, err = store.PartnerTokenPurge(ctx, base)
		requireNoError(t, "purge again", err)
		if n != 0 {
			t.Fatalf("second purge deleted %d, want 0", n)
		}
	})
}
