package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/heraldhq/herald"
)

// Renaming and deleting customers (operators only), from the Customers
// page.

// handleCustomerRename serves POST /ui/customers/{customerId}/rename.
func (s *Server) handleCustomerRename(w http.ResponseWriter, r *http.Request) error {
	if err := requireOperator(r); err != nil {
		return err
	}
	c, err := s.customerFor(r)
	if err != nil {
		return err
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	err = s.cfg.Store.CustomerRename(r.Context(), c.ID, name)
	switch herald.ErrorCode(err) {
	case "":
		s.cfg.Logger.InfoContext(r.Context(), "customer renamed", slog.String("customer_id", c.ID))
		return redirect(w, r, "/ui/customers?done=customer-renamed")
	case herald.EINVALID:
		return s.renderCustomers(w, r, http.StatusBadRequest, &customersData{Errors: map[string]string{},
			RenameID: c.ID, RenameError: humanMessage(herald.ErrorMessage(err))})
	default:
		return fmt.Errorf("rename customer: %w", err)
	}
}

// customerDeleteConfirm is the question before a delete: what goes with
// the customer, and the customer id to type.
func (s *Server) customerDeleteConfirm(r *http.Request, c *herald.Customer, typeErr string) (*confirmData, error) {
	eps, err := s.cfg.Store.EndpointList(r.Context(), c.ID)
	if err != nil {
		return nil, fmt.Errorf("list endpoints: %w", err)
	}
	users, err := s.cfg.Users.WebUserList(r.Context(), c.ID)
	if err != nil {
		return nil, fmt.Errorf("list web users: %w", err)
	}
	what := fmt.Sprintf("%d %s, %d %s", len(eps), plural(len(eps), "endpoint", "endpoints"),
		len(users), plural(len(users), "administrator", "administrators"))
	if s.cfg.Replays != nil {
		counts, err := s.cfg.Replays.DeliveryCountByState(r.Context(), &herald.DeliveryFilter{CustomerID: c.ID})
		if err != nil {
			return nil, fmt.Errorf("count deliveries: %w", err)
		}
		n := 0
		for _, k := range counts {
			n += k
		}
		what += fmt.Sprintf(", %d %s with their events and attempt logs", n, plural(n, "delivery", "deliveries"))
	}
	return &confirmData{Heading: "Delete customer " + c.Name + "?",
		Lines: []string{"This deletes the customer and everything that is theirs: " + what +
			", replay jobs, retry policies, partners and the records of their career portal.",
			"Their administrators can no longer sign in. This cannot be undone."},
		Action: customerPath(c.ID, "delete"), Button: "Delete customer", Danger: true, Cancel: "/ui/customers",
		Type: c.ID, TypeLabel: "Type the customer id, " + c.ID + ", to confirm", TypeError: typeErr}, nil
}

// handleCustomerDeleteConfirm serves GET /ui/customers/{customerId}/delete.
func (s *Server) handleCustomerDeleteConfirm(w http.ResponseWriter, r *http.Request) error {
	if err := requireOperator(r); err != nil {
		return err
	}
	c, err := s.customerFor(r)
	if err != nil {
		return err
	}
	d, err := s.customerDeleteConfirm(r, c, "")
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "confirm", "Delete customer", d)
	return nil
}

// handleCustomerDelete serves POST /ui/customers/{customerId}/delete: only
// with the customer id typed in the form.
func (s *Server) handleCustomerDelete(w http.ResponseWriter, r *http.Request) error {
	if err := requireOperator(r); err != nil {
		return err
	}
	c, err := s.customerFor(r)
	if err != nil {
		return err
	}
	if strings.TrimSpace(r.PostFormValue("confirm")) != c.ID {
		d, err := s.customerDeleteConfirm(r, c, "Type the customer id exactly as shown, "+c.ID+", to delete the customer.")
		if err != nil {
			return err
		}
		s.render(w, r, http.StatusBadRequest, "confirm", "Delete customer", d)
		return nil
	}
	if err := s.cfg.Store.CustomerDelete(r.Context(), c.ID); err != nil {
		return fmt.Errorf("delete customer: %w", err)
	}
	s.cfg.Logger.InfoContext(r.Context(), "customer deleted", slog.String("customer_id", c.ID))
	return redirect(w, r, "/ui/customers?done=customer-deleted")
}
