package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/heraldhq/herald"
)

// handleCustomerCreate serves POST /api/v1/customers.
func (s *Server) handleCustomerCreate(w http.ResponseWriter, r *http.Request) error {
	var req CustomerCreateRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		return err
	}
	c := &herald.Customer{ID: req.ID, Name: req.Name}
	if err := c.Validate(); err != nil {
		return err
	}
	if err := s.cfg.Store.CustomerCreate(r.Context(), c); err != nil {
		return fmt.Errorf("create customer: %w", err)
	}
	w.Header().Set("Location", "/api/v1/customers/"+url.PathEscape(c.ID))
	return writeJSON(w, http.StatusCreated, customerJSON(c))
}

// handleCustomerList serves GET /api/v1/customers.
func (s *Server) handleCustomerList(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.cfg.Store.CustomerList(r.Context())
	if err != nil {
		return fmt.Errorf("list customers: %w", err)
	}
	out := CustomerList{Data: make([]Customer, 0, len(cs))}
	for _, c := range cs {
		out.Data = append(out.Data, *customerJSON(c))
	}
	return writeJSON(w, http.StatusOK, &out)
}

// handleCustomerGet serves GET /api/v1/customers/{customerId}.
func (s *Server) handleCustomerGet(w http.ResponseWriter, r *http.Request) error {
	c, err := s.customer(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, customerJSON(c))
}

// handleCustomerDelete serves DELETE /api/v1/customers/{customerId}: the
// customer and everything that is its (Store.CustomerDelete).
func (s *Server) handleCustomerDelete(w http.ResponseWriter, r *http.Request) error {
	c, err := s.customer(r)
	if err != nil {
		return err
	}
	if err := s.cfg.Store.CustomerDelete(r.Context(), c.ID); err != nil {
		return fmt.Errorf("delete customer: %w", err)
	}
	s.cfg.Logger.InfoContext(r.Context(), "customer deleted", slog.String("customer_id", c.ID))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// customer returns the customer named in the path, or ENOTFOUND.
func (s *Server) customer(r *http.Request) (*herald.Customer, error) {
	id := r.PathValue("customerId")
	c, err := s.cfg.Store.CustomerGet(r.Context(), id)
	if err != nil {
		if herald.ErrorCode(err) == herald.ENOTFOUND {
			return nil, herald.Errorf(herald.ENOTFOUND, "customer %q not found", id)
		}
		return nil, fmt.Errorf("get customer: %w", err)
	}
	return c, nil
}

func customerJSON(c *herald.Customer) *Customer {
	return &Customer{ID: c.ID, Name: c.Name, CreatedAt: c.CreatedAt.UTC()}
}
