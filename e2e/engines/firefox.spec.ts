/**
 * Issue 14: the core relay promises in Debian's Firefox ESR, driven by puppeteer-core over WebDriver BiDi.
 * The scenarios are in engine-specs.ts; the browser set-up in drivers.ts.
 */
import { defineEngineSpecs } from './engine-specs.ts'

defineEngineSpecs('firefox')
