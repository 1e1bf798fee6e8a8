package rabbit

import (
	"context"
	"fmt"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Declare connects to cfg.URL and declares the whole topology once. Consumers
// and publishers already do this on every (re)connect; Declare is for tools
// and tests that want the queues to exist before anything runs.
func Declare(ctx context.Context, cfg Config) error {
	cfg = cfg.withDefaults()
	conn, err := dial(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("open channel on %s: %w", redact(cfg.URL), err)
	}
	return declare(ch, cfg.DeliveryLimit)
}

// declare declares both exchanges, every queue in Queues as a quorum queue
// bound to Exchange that dead-letters to DeadLetterExchange, and its
// dead-letter queue. Declaring is idempotent as long as the arguments never
// change: a queue re-declared with another x-delivery-limit is a 406.
func declare(ch *amqp.Channel, deliveryLimit int) error {
	for _, ex := range []string{Exchange, DeadLetterExchange} {
		err := ch.ExchangeDeclare(ex, amqp.ExchangeDirect,
			true,  // durable
			false, // autoDelete
			false, // internal
			false, // noWait
			nil)
		if err != nil {
			return fmt.Errorf("declare exchange %s: %w", ex, err)
		}
	}
	for _, q := range Queues {
		args := amqp.Table{
			amqp.QueueTypeArg:           amqp.QueueTypeQuorum,
			"x-delivery-limit":          int64(deliveryLimit),
			"x-dead-letter-exchange":    DeadLetterExchange,
			"x-dead-letter-routing-key": q,
		}
		if err := declareQueue(ch, q, Exchange, q, args); err != nil {
			return err
		}
		dlArgs := amqp.Table{amqp.QueueTypeArg: amqp.QueueTypeQuorum}
		if err := declareQueue(ch, DeadLetterQueue(q), DeadLetterExchange, q, dlArgs); err != nil {
			return err
		}
	}
	return nil
}

func declareQueue(ch *amqp.Channel, name, exchange, key string, args amqp.Table) error {
	_, err := ch.QueueDeclare(name,
		true,  // durable
		false, // autoDelete
		false, // exclusive
		false, // noWait
		args)
	if err != nil {
		return fmt.Errorf("declare queue %s: %w", name, err)
	}
	err = ch.QueueBind(name, key, exchange,
		false, // noWait
		nil)
	if err != nil {
		return fmt.Errorf("bind queue %s to %s with key %s: %w", name, exchange, key, err)
	}
	return nil
}
