package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/heraldhq/herald"
)

type customersData struct {
	Customers []*herald.Customer
	ID, Name  string
	Errors    map[string]string
	// RenameID is the customer whose rename failed, with why.
	RenameID, RenameError string
}

// handleCustomerList serves GET /ui/customers (operators only).
func (s *Server) handleCustomerList(w http.ResponseWriter, r *http.Request) error {
	return s.renderCustomers(w, r, http.StatusOK, &customersData{Errors: map[string]string{}})
}

func (s *Server) renderCustomers(w http.ResponseWriter, r *http.Request, status int, d *customersData) error {
	if err := requireOperator(r); err != nil {
		return err
	}
	cs, err := s.cfg.Store.CustomerList(r.Context())
	if err != nil {
		return fmt.Errorf("list customers: %w", err)
	}
	d.Customers = cs
	s.render(w, r, status, "customers", "Customers", d)
	return nil
}

// handleCustomerCreate serves POST /ui/customers (operators only).
func (s *Server) handleCustomerCreate(w http.ResponseWriter, r *http.Request) error {
	if err := requireOperator(r); err != nil {
		return err
	}
	c := &herald.Customer{ID: strings.TrimSpace(r.PostFormValue("id")), Name: strings.TrimSpace(r.PostFormValue("name"))}
	d := &customersData{ID: c.ID, Name: c.Name, Errors: map[string]string{}}
	err := s.cfg.Store.CustomerCreate(r.Context(), c)
	switch herald.ErrorCode(err) {
	case "":
		return redirect(w, r, customerPath(c.ID)+"?done=customer-added")
	case herald.EINVALID, herald.ECONFLICT:
		field := "id"
		if strings.HasPrefix(herald.ErrorMessage(err), "name") {
			field = "name"
		}
		d.Errors[field] = humanMessage(herald.ErrorMessage(err))
		return s.renderCustomers(w, r, http.StatusBadRequest, d)
	default:
		return fmt.Errorf("create customer: %w", err)
	}
}

type usersData struct {
	Cust                         *herald.Customer
	Users                        []*herald.WebUser
	Username, PersonID, Password string
	Errors                       map[string]string
	MinPassword                  int
	Reset                        string // the user whose password was just reset
}

func (d *usersData) customer() *herald.Customer { return d.Cust }

// handleUserList serves GET /ui/customers/{customerId}/users (operators
// only: an operator creates a customer's administrators).
func (s *Server) handleUserList(w http.ResponseWriter, r *http.Request) error {
	return s.renderUsers(w, r, http.StatusOK, &usersData{Errors: map[string]string{}, Reset: r.URL.Query().Get("reset")})
}

func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, status int, d *usersData) error {
	if err := requireOperator(r); err != nil {
		return err
	}
	c, err := s.customerFor(r)
	if err != nil {
		return err
	}
	us, err := s.cfg.Users.WebUserList(r.Context(), c.ID)
	if err != nil {
		return fmt.Errorf("list web users: %w", err)
	}
	d.Cust, d.Users, d.MinPassword, d.Password = c, us, MinPasswordLength, ""
	s.render(w, r, status, "users", "Administrators · "+c.Name, d)
	return nil
}

// handleUserCreate serves POST /ui/customers/{customerId}/users.
func (s *Server) handleUserCreate(w http.ResponseWriter, r *http.Request) error {
	if err := requireOperator(r); err != nil {
		return err
	}
	cid := r.PathValue("customerId")
	d := &usersData{Username: strings.TrimSpace(r.PostFormValue("username")), PersonID: strings.TrimSpace(r.PostFormValue("personId")),
		Errors: map[string]string{}}
	password := r.PostFormValue("password")
	if n := len([]rune(password)); n < MinPasswordLength || len(password) > maxPasswordLength {
		d.Errors["password"] = fmt.Sprintf("Use %d to %d characters.", MinPasswordLength, maxPasswordLength)
	} else {
		_, err := CreateUser(r.Context(), s.cfg.Users, &herald.WebUser{CustomerID: cid, Username: d.Username, PersonID: d.PersonID}, password)
		switch herald.ErrorCode(err) {
		case "":
			return redirect(w, r, customerPath(cid, "users")+"?done=user-added")
		case herald.EINVALID, herald.ECONFLICT:
			field := "username"
			if strings.HasPrefix(herald.ErrorMessage(err), "personId") {
				field = "personId"
			}
			d.Errors[field] = herald.ErrorMessage(err)
		default:
			return fmt.Errorf("create web user: %w", err)
		}
	}
	return s.renderUsers(w, r, http.StatusBadRequest, d)
}

// handleUserDelete serves POST /ui/customers/{customerId}/users/{userId}/delete.
func (s *Server) handleUserDelete(w http.ResponseWriter, r *http.Request) error {
	if err := requireOperator(r); err != nil {
		return err
	}
	cid := r.PathValue("customerId")
	if err := s.cfg.Users.WebUserDelete(r.Context(), cid, r.PathValue("userId")); err != nil {
		return fmt.Errorf("delete web user: %w", err)
	}
	return redirect(w, r, customerPath(cid, "users")+"?done=user-deleted")
}
