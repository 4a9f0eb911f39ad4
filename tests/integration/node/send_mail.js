// nodemailer sends one message. Input (JSON on stdin):
//   {host, port, secure, requireTLS, ignoreTLS, auth: {user, pass, method} | null,
//    from, to: [...], subject, text, attachments: [{filename, contentType, base64}],
//    timeoutMs}
// nodemailer's MailComposer builds the message (what sendMail does inside),
// and the SMTP transport sends exactly those bytes, so the test can compare
// them with what arrived. Output: one JSON line {accepted, rejected,
// response, messageId (the composed message's), envelope,
// commands (the SMTP verbs sent), messageBase64}.
// ringpost's certificate is self-signed, hence rejectUnauthorized false.
import nodemailer from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { run, emit } from './common.js';

function compose(input) {
    const mail = new MailComposer({
        from: input.from,
        to: input.to,
        subject: input.subject,
        text: input.text,
        attachments: (input.attachments || []).map(a => ({
            filename: a.filename,
            contentType: a.contentType,
            content: Buffer.from(a.base64, 'base64')
        }))
    });
    const node = mail.compile();
    return new Promise((resolve, reject) =>
        node.build((err, raw) => (err ? reject(err) : resolve({ raw, messageId: node.messageId() }))));
}

await run(async (input, log) => {
    const timeout = input.timeoutMs || 60000;
    const transport = nodemailer.createTransport({
        host: input.host,
        port: input.port,
        secure: !!input.secure,
        requireTLS: !!input.requireTLS,
        ignoreTLS: !!input.ignoreTLS,
        auth: input.auth ? { user: input.auth.user, pass: input.auth.pass } : undefined,
        authMethod: input.auth && input.auth.method ? input.auth.method : undefined,
        name: 'nodemailer.client.test',
        tls: { rejectUnauthorized: false },
        connectionTimeout: timeout,
        greetingTimeout: timeout,
        socketTimeout: timeout,
        logger: log.logger,
        debug: true
    });
    // The SMTP verbs nodemailer sent (AUTH with its mechanism; no arguments).
    const commands = [];
    log.watch(entry => {
        if (entry.tnx === 'client' && entry.text) {
            const words = entry.text.split(' ');
            commands.push(words.slice(0, words[0] === 'AUTH' ? 2 : 1).join(' '));
        }
    });
    const { raw, messageId } = await compose(input);
    const info = await transport.sendMail({ envelope: { from: input.from, to: input.to }, raw });
    transport.close();
    emit({
        accepted: info.accepted,
        rejected: info.rejected,
        response: info.response,
        messageId,
        envelope: info.envelope,
        commands,
        messageBase64: raw.toString('base64')
    });
});
