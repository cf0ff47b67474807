package sqlstore

import (
	"context"
	"database/sql"
	"strconv"

	"navette"
)

// savedRow is the row that keeps when and by whom the settings were last
// saved, even when every limit is back to the configuration's.
const savedRow = "saved"

// settingNames name the rows of the settings table, one per limit.
var settingNames = [...]string{"max_file_size", "max_files", "max_retention_days", "max_recipients"}

// limitFields returns pointers to the fields of l in the order of
// settingNames.
func limitFields(l *navette.Limits) [len(settingNames)]*int64 {
	files, days, recips := int64(l.MaxFiles), int64(l.MaxRetentionDays), int64(l.MaxRecipients)
	return [...]*int64{&l.MaxFileSize, &files, &days, &recips}
}

// Settings returns the platform settings as last saved; the zero Settings if
// none ever were. A row this version does not know is ignored.
func (s *Store) Settings(ctx context.Context) (*navette.Settings, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT name, value, updated_at, updated_by FROM settings`)
	if err != nil {
		return nil, s.internal(err, "read settings")
	}
	defer rows.Close()
	var (
		st   navette.Settings
		vals = map[string]int64{}
	)
	for rows.Next() {
		var (
			name, value, by string
			at              sql.NullInt64
		)
		if err := rows.Scan(&name, &value, &at, &by); err != nil {
			return nil, s.internal(err, "read settings")
		}
		if t := timeCol(at); t.After(st.UpdatedAt) {
			st.UpdatedAt, st.UpdatedBy = t, by
		}
		if name == savedRow {
			continue
		}
		v, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return nil, s.internal(err, "read setting "+name)
		}
		vals[name] = v
	}
	if err := rows.Err(); err != nil {
		return nil, s.internal(err, "read settings")
	}
	st.Limits = navette.Limits{
		MaxFileSize:      vals["max_file_size"],
		MaxFiles:         int(vals["max_files"]),
		MaxRetentionDays: int(vals["max_retention_days"]),
		MaxRecipients:    int(vals["max_recipients"]),
	}
	return &st, nil
}

// SaveSettings replaces the platform settings with st in one transaction:
// a zero limit deletes its row. Returns EINVALID for a limit out of bounds
// or a missing time.
func (s *Store) SaveSettings(ctx context.Context, st *navette.Settings, events ...navette.Event) error {
	switch {
	case st == nil:
		return invalid("No settings given.")
	case st.UpdatedAt.IsZero():
		return invalid("Settings need the time they are saved.")
	}
	if err := st.Limits.Valid(); err != nil {
		return err
	}
	if err := checkEvents(events); err != nil {
		return err
	}
	l := st.Limits
	vals := limitFields(&l)
	return s.inTx(ctx, "save settings", func(tx *sql.Tx) error {
		upsert := func(name, value string) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO settings (name, value, updated_at, updated_by) VALUES ($1, $2, $3, $4)
				ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
				name, value, timeArg(st.UpdatedAt), st.UpdatedBy)
			return err
		}
		if err := upsert(savedRow, ""); err != nil {
			return s.internal(err, "save settings")
		}
		for i, name := range settingNames {
			var err error
			if v := *vals[i]; v == 0 {
				_, err = tx.ExecContext(ctx, `DELETE FROM settings WHERE name = $1`, name)
			} else {
				err = upsert(name, strconv.FormatInt(v, 10))
			}
			if err != nil {
				return s.internal(err, "save setting "+name)
			}
		}
		return s.insertEvents(ctx, tx, events)
	})
}
