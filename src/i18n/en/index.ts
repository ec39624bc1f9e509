/**
 * The English catalogue, one file per domain of the UI (the same folders as src/components).
 * Messages use vue-i18n's syntax: `{name}` placeholders, `a | b | c` plural forms (with `tn`),
 * and the characters `{ } @ $ |` written as literals (`{'@'}`) where they are meant as text.
 */
import common from './common.ts'
import shell from './shell.ts'
import settings from './settings.ts'
import sessions from './sessions.ts'
import home from './home.ts'
import session from './session.ts'
import parts from './parts.ts'
import prompt from './prompt.ts'
import changes from './changes.ts'
import terminal from './terminal.ts'
import files from './files.ts'

export default {
  common,
  shell,
  settings,
  sessions,
  home,
  session,
  parts,
  prompt,
  changes,
  terminal,
  files,
}
