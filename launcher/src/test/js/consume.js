// Reads topics from the beginning with stock clients: kafkajs as the consumer and Confluent's
// JavaScript Schema Registry serdes (@confluentinc/schemaregistry) to decode the Avro values through
// the registry, as any Node.js consumer of the pipeline would. Prints one JSON line per record:
// {"topic", "partition", "offset", "key", "value"}. Stops once every topic has records and none
// came for IDLE_MS, or after LIMIT_MS.
//
// Usage: node consume.js BOOTSTRAP REGISTRY_URL TOPIC...
'use strict';
const { Kafka, CompressionTypes, CompressionCodecs, logLevel } = require('kafkajs');
const lz4 = require('lz4js');
const { SchemaRegistryClient, AvroDeserializer, SerdeType } = require('@confluentinc/schemaregistry');

// kafkajs ships no LZ4 codec; lz4js reads and writes the LZ4 frame format Kafka uses.
CompressionCodecs[CompressionTypes.LZ4] = () => ({
  async compress(encoder) {
    return Buffer.from(lz4.compress(encoder.buffer));
  },
  async decompress(buffer) {
    return Buffer.from(lz4.decompress(buffer));
  },
});

const IDLE_MS = Number(process.env.IDLE_MS || 5000);
const LIMIT_MS = Number(process.env.LIMIT_MS || 60000);

function json(value) {
  return JSON.stringify(value, (k, v) => {
    if (typeof v === 'number' && !Number.isFinite(v)) {
      return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
    }
    if (typeof v === 'bigint') {
      return v.toString();
    }
    return v;
  });
}

async function main() {
  const [bootstrap, registryUrl, ...topics] = process.argv.slice(2);
  if (!bootstrap || !registryUrl || topics.length === 0) {
    console.error('usage: node consume.js BOOTSTRAP REGISTRY_URL TOPIC...');
    process.exit(2);
  }
  const registry = new SchemaRegistryClient({ baseURLs: [registryUrl] });
  const deserializer = new AvroDeserializer(registry, SerdeType.VALUE, {});
  const kafka = new Kafka({ clientId: 'stock-consumer', brokers: [bootstrap], logLevel: logLevel.WARN });
  const consumer = kafka.consumer({ groupId: 'stock-consumer-' + Date.now() });
  const seen = new Set();
  let last = Date.now();
  const started = Date.now();
  let failure = null;
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      try {
        const value = await deserializer.deserialize(topic, message.value);
        console.log(json({
          topic,
          partition,
          offset: message.offset,
          key: message.key === null ? null : message.key.toString('utf8'),
          value,
        }));
        seen.add(topic);
        last = Date.now();
      } catch (e) {
        failure = e;
      }
    },
  });
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      const now = Date.now();
      const allSeen = topics.every((t) => seen.has(t));
      if (failure || (allSeen && now - last > IDLE_MS) || now - started > LIMIT_MS) {
        clearInterval(timer);
        resolve();
      }
    }, 200);
  });
  await consumer.disconnect();
  if (failure) {
    console.error('decoding failed: ' + (failure.stack || failure));
    process.exit(1);
  }
  const missing = topics.filter((t) => !seen.has(t));
  if (missing.length > 0) {
    console.error('no records read from ' + missing.join(', '));
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
