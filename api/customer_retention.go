package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/heraldhq/herald"
)

// CustomerUpdateRequest is the body of PATCH /api/v1/customers/{customerId}:
// at least one of Name and RetentionDays. RetentionDays is how many days the customer's events, deliveries
// and attempt logs are kept once final (1 to herald.MaxRetentionDays), or 0
// for the server's default (herald serve --retention, 30 days unless the
// operator says otherwise).
//
//	{"retentionDays":7}
type CustomerUpdateRequest struct {
	// Name, when given, renames the customer.
	Name          *string `json:"name,omitempty"`
	RetentionDays *int    `json:"retentionDays,omitempty"`
}

// CustomerWithRetention is a customer with its retention period, the reply
// to PATCH /api/v1/customers/{customerId}. RetentionDays 0 means the
// server's default.
type CustomerWithRetention struct {
	Customer
	RetentionDays int `json:"retentionDays"`
}

// handleCustomerUpdate serves PATCH /api/v1/customers/{customerId}. It
// lives apart from customer.go because the retention period belongs to
// herald.RetentionStore (Config.Retention): without one the call is
// refused rather than the whole API refusing to start.
func (s *Server) handleCustomerUpdate(w http.ResponseWriter, r *http.Request) error {
	rs := s.cfg.Retention
	if rs == nil {
		return herald.Errorf(herald.EINVALID, "this server's store does not keep retention periods")
	}
	var req CustomerUpdateRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.RetentionDays == nil && req.Name == nil {
		return herald.Errorf(herald.EINVALID, "name or retentionDays is required")
	}
	if req.RetentionDays != nil {
		if err := herald.ValidateRetentionDays(*req.RetentionDays); err != nil {
			return err
		}
	}
	c, err := s.customer(r)
	if err != nil {
		return err
	}
	if req.Name != nil {
		if err := s.cfg.Store.CustomerRename(r.Context(), c.ID, *req.Name); err != nil {
			if herald.ErrorCode(err) == herald.EINVALID {
				return err
			}
			return fmt.Errorf("rename customer: %w", err)
		}
		c.Name = *req.Name
		s.cfg.Logger.InfoContext(r.Context(), "customer renamed", slog.String("customer_id", c.ID))
	}
	var days int
	if req.RetentionDays != nil {
		days = *req.RetentionDays
		if err := rs.CustomerRetentionSet(r.Context(), c.ID, days); err != nil {
			return fmt.Errorf("set customer retention: %w", err)
		}
		s.cfg.Logger.InfoContext(r.Context(), "customer retention set",
			slog.String("customer_id", c.ID), slog.Int("retention_days", days))
	} else if days, err = rs.CustomerRetentionGet(r.Context(), c.ID); err != nil {
		return fmt.Errorf("get customer retention: %w", err)
	}
	return writeJSON(w, http.StatusOK, &CustomerWithRetention{
		Customer:      Customer{ID: c.ID, Name: c.Name, CreatedAt: c.CreatedAt.UTC()},
		RetentionDays: days,
	})
}

// CustomerUpdate sets a customer's retention period: days, or 0 for the
// server's default.
func (c *Client) CustomerUpdate(ctx context.Context, id string, req *CustomerUpdateRequest) (*CustomerWithRetention, error) {
	var out CustomerWithRetention
	if err := c.do(ctx, "update customer", http.MethodPatch, customerPath(id), nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
