// Shared plumbing of the client scripts run by tests/integration/test_node_clients.py:
// the test writes one JSON object on stdin, a script answers with JSON lines
// on stdout and exits 0; on a failure it prints {"error": ...} (with the
// client's last log entries) and exits 1. Every script ends itself after
// input.timeoutMs, so a stuck client never outlives the test.

// The whole of stdin as one JSON value.
export async function readInput() {
    const chunks = [];
    for await (const chunk of process.stdin) {
        chunks.push(chunk);
    }
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

export function emit(obj) {
    process.stdout.write(JSON.stringify(obj) + '\n');
}

// A logger in the shape imapflow and nodemailer accept (pino/bunyan-like
// methods). It keeps the last entries for the error report and, with
// RINGPOST_NODE_DEBUG set, copies every entry to stderr. watch(fn) sees
// each entry: the IDLE script uses it to learn that the server sent "+ idling".
export function makeLogger(limit = 200) {
    const recent = [];
    const watchers = [];
    const record = level => (...args) => {
        const entry = { level };
        for (const a of args) {
            if (a && typeof a === 'object') {
                Object.assign(entry, a);
            } else if (a !== undefined) {
                entry.text = (entry.text ? entry.text + ' ' : '') + String(a);
            }
        }
        if (entry.err instanceof Error) {
            entry.err = entry.err.message;
        }
        recent.push(entry);
        if (recent.length > limit) {
            recent.shift();
        }
        if (process.env.RINGPOST_NODE_DEBUG) {
            process.stderr.write(JSON.stringify(entry) + '\n');
        }
        for (const w of watchers) {
            w(entry);
        }
    };
    const logger = {};
    for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal']) {
        logger[level] = record(level);
    }
    logger.child = () => logger;   // nodemailer asks for child loggers
    return {
        logger,
        recent,
        watch: fn => watchers.push(fn)
    };
}

// Runs main(input, log) with a hard deadline and the error protocol above.
export async function run(main) {
    const log = makeLogger();
    let input;
    try {
        input = await readInput();
    } catch (err) {
        emit({ error: 'bad input: ' + err.message });
        process.exit(1);
    }
    const timeoutMs = Number(input.timeoutMs) || 60000;
    const timer = setTimeout(() => {
        emit({ error: `timed out after ${timeoutMs} ms`, log: log.recent.slice(-40) });
        process.exit(1);
    }, timeoutMs);
    try {
        await main(input, log);
        clearTimeout(timer);
        process.exit(0);
    } catch (err) {
        emit({
            error: err && err.message ? err.message : String(err),
            code: err && err.code,
            response: err && (err.response || err.responseText),
            log: log.recent.slice(-40)
        });
        process.exit(1);
    }
}

// imapflow options for the input's connection: tls is "none" (plain text,
// which ringpost allows on loopback), "starttls" or "implicit"; ringpost's
// certificate is self-signed, hence rejectUnauthorized false.
export function imapOptions(input, log) {
    const tls = input.tls || 'none';
    return {
        host: input.host,
        port: input.port,
        secure: tls === 'implicit',
        doSTARTTLS: tls === 'starttls' ? true : tls === 'none' ? false : undefined,
        auth: { user: input.user, pass: input.password },
        tls: { rejectUnauthorized: false },
        logger: log.logger,
        disableAutoIdle: true,
        connectionTimeout: input.timeoutMs || 60000,
        greetingTimeout: input.timeoutMs || 60000,
        socketTimeout: input.timeoutMs || 60000
    };
}
