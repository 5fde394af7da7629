package directory

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Auditor writes one entry to the audit log. counselors.Service satisfies it;
// actorID 0 is the system (the command line, the demo loader).
type Auditor interface {
	Record(ctx context.Context, actorID int64, action, target, detail string) error
}

// Audit actions written for directory changes.
const (
	AuditServicePut    = "directory_service_put"
	AuditServiceDelete = "directory_service_delete"
	AuditOrgPut        = "directory_organization_put"
	AuditImport        = "directory_import"
)

// Directory is the directory's entry point: every change goes through it so
// that every change is checked and audited.
type Directory struct {
	store Store
	audit Auditor
	now   func() time.Time
}

// New returns a Directory on store, auditing to audit; now is the clock (nil
// is time.Now).
func New(store Store, audit Auditor, now func() time.Time) *Directory {
	if now == nil {
		now = time.Now
	}
	return &Directory{store: store, audit: audit, now: now}
}

// Store returns the store, for reading.
func (d *Directory) Store() Store { return d.store }

// PutOrganization checks, stores and audits an organisation.
func (d *Directory) PutOrganization(ctx context.Context, o Organization, actorID int64) error {
	if ps := o.Check(); len(ps) > 0 {
		return Problems(ps)
	}
	if err := d.store.PutOrganization(ctx, o); err != nil {
		return err
	}
	return d.record(ctx, actorID, AuditOrgPut, o.ID, o.Name)
}

// PutService checks, stores and audits a service; UpdatedAt is set to now.
func (d *Directory) PutService(ctx context.Context, s Service, actorID int64) error {
	if ps := s.Check(); len(ps) > 0 {
		for i := range ps {
			ps[i].Record = s.ID
		}
		return Problems(ps)
	}
	s.UpdatedAt = d.now()
	if err := d.store.PutService(ctx, s); err != nil {
		return err
	}
	return d.record(ctx, actorID, AuditServicePut, s.ID, s.Name.In(s.Fallback, s.Fallback))
}

// DeleteService soft-deletes a service and audits it.
func (d *Directory) DeleteService(ctx context.Context, id string, actorID int64) error {
	if err := d.store.DeleteService(ctx, id, d.now()); err != nil {
		return err
	}
	return d.record(ctx, actorID, AuditServiceDelete, id, "")
}

// Import stores a checked set (from ReadJSON or ReadCSV) in one transaction,
// then audits each service and the import as a whole; source names the file.
// Services not in the set are left as they are.
func (d *Directory) Import(ctx context.Context, set Set, source string, actorID int64) error {
	if ps := set.Check(source); len(ps) > 0 {
		return ps
	}
	now := d.now()
	for i := range set.Services {
		set.Services[i].UpdatedAt = now
	}
	if err := d.store.Import(ctx, set.Organizations, set.Services); err != nil {
		return fmt.Errorf("importing %s: nothing was changed: %w", source, err)
	}
	var errs []error
	for _, s := range set.Services {
		errs = append(errs, d.record(ctx, actorID, AuditServicePut, s.ID, "imported from "+source))
	}
	errs = append(errs, d.record(ctx, actorID, AuditImport, source,
		fmt.Sprintf("%d organisations, %d services", len(set.Organizations), len(set.Services))))
	return errors.Join(errs...)
}

// Export returns every listed service (inactive ones too) and the
// organisations that run them.
func (d *Directory) Export(ctx context.Context) (Set, error) {
	services, err := d.store.Services(ctx, false)
	if err != nil {
		return Set{}, err
	}
	orgs, err := d.store.Organizations(ctx)
	if err != nil {
		return Set{}, err
	}
	used := map[string]bool{}
	for _, s := range services {
		used[s.OrganizationID] = true
	}
	set := Set{Services: services}
	for _, o := range orgs {
		if used[o.ID] {
			set.Organizations = append(set.Organizations, o)
		}
	}
	return set, nil
}

// Search ranks the listed services for q (see Rank). It reads the whole
// directory each time: a directory holds hundreds of services, not millions.
func (d *Directory) Search(ctx context.Context, q Query) ([]Service, error) {
	services, err := d.store.Services(ctx, false)
	if err != nil {
		return nil, err
	}
	return Rank(services, q, d.now()), nil
}

func (d *Directory) record(ctx context.Context, actorID int64, action, target, detail string) error {
	if d.audit == nil {
		return nil
	}
	if err := d.audit.Record(ctx, actorID, action, target, detail); err != nil {
		return fmt.Errorf("the change was made but its audit entry could not be written (%s %s): %w", action, target, err)
	}
	return nil
}
