package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	"bookshop/fulfillment"

	"github.com/jmoiron/sqlx"
)

type stockRow struct {
	ISBN      string `db:"isbn"`
	Available int    `db:"available"`
	Reserved  int    `db:"reserved"`
}

func (r stockRow) level() fulfillment.StockLevel {
	return fulfillment.StockLevel{ISBN: r.ISBN, Available: r.Available, Reserved: r.Reserved}
}

// Stock returns the stock of every title, by ISBN.
func (s *Store) Stock(ctx context.Context) ([]fulfillment.StockLevel, error) {
	var rows []stockRow
	if err := sqlx.SelectContext(ctx, s.q, &rows, `SELECT isbn, available, reserved FROM stock ORDER BY isbn`); err != nil {
		return nil, fmt.Errorf("list stock: %w", err)
	}
	out := make([]fulfillment.StockLevel, len(rows))
	for i, r := range rows {
		out[i] = r.level()
	}
	return out, nil
}

// StockOf returns the stock of each known ISBN among isbns. One statement
// text for any number of ISBNs (they go as one JSON array), so it stays
// prepared, and rows are scanned by hand: it runs once per ScheduleDelivery.
func (s *Store) StockOf(ctx context.Context, isbns []string) (map[string]fulfillment.StockLevel, error) {
	out := make(map[string]fulfillment.StockLevel, len(isbns))
	if len(isbns) == 0 {
		return out, nil
	}
	list, err := json.Marshal(isbns)
	if err != nil {
		return nil, fmt.Errorf("read stock of %v: %w", isbns, err)
	}
	rows, err := s.q.QueryContext(ctx, `SELECT isbn, available, reserved FROM stock
		WHERE isbn IN (SELECT value FROM json_each(?))`, string(list))
	if err != nil {
		return nil, fmt.Errorf("read stock of %v: %w", isbns, err)
	}
	defer rows.Close()
	for rows.Next() {
		var l fulfillment.StockLevel
		if err := rows.Scan(&l.ISBN, &l.Available, &l.Reserved); err != nil {
			return nil, fmt.Errorf("read stock of %v: %w", isbns, err)
		}
		out[l.ISBN] = l
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read stock of %v: %w", isbns, err)
	}
	return out, nil
}

// Reserve moves each line's quantity from available to reserved. A line
// that does not fit is an error: the caller checks the stock first.
func (s *Store) Reserve(ctx context.Context, lines []fulfillment.Line) error {
	for _, l := range lines {
		err := s.move(ctx, l, `UPDATE stock SET available = available - ?, reserved = reserved + ?
			WHERE isbn = ? AND available >= ?`)
		if err != nil {
			return fmt.Errorf("reserve %d of %s: %w", l.Quantity, l.ISBN, err)
		}
	}
	return nil
}

// Release moves each line's quantity from reserved back to available.
func (s *Store) Release(ctx context.Context, lines []fulfillment.Line) error {
	for _, l := range lines {
		err := s.move(ctx, l, `UPDATE stock SET available = available + ?, reserved = reserved - ?
			WHERE isbn = ? AND reserved >= ?`)
		if err != nil {
			return fmt.Errorf("release %d of %s: %w", l.Quantity, l.ISBN, err)
		}
	}
	return nil
}

// move runs a guarded stock update, whose four arguments are the quantity
// twice, the ISBN and the quantity, and insists that it changed one row.
func (s *Store) move(ctx context.Context, l fulfillment.Line, update string) error {
	res, err := s.q.ExecContext(ctx, update, l.Quantity, l.Quantity, l.ISBN, l.Quantity)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n != 1 {
		return fmt.Errorf("stock of %s does not allow it", l.ISBN)
	}
	return nil
}
