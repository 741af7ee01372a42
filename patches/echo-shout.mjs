// A real live patch: ECHO answers in upper case, so a client sees the new code run.
// Load it signed (kvnetlab patch sign --module patches/echo-shout.mjs ...); see patches/README.md.
export default function echoShout(api) {
  const echo = api.command('echo');
  if (!echo) throw new Error('this node has no ECHO to patch');
  return {
    commands: [
      {
        ...echo,
        execute: (_ctx, args) => api.reply.bulk(Buffer.from(args[1].toString('latin1').toUpperCase(), 'latin1')),
      },
    ],
  };
}
