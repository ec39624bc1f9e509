/**
 * Issue 14: the core relay promises in WebKit (WebKitGTK's MiniBrowser through Debian's WebKitWebDriver, in Xvfb).
 * The scenarios are in engine-specs.ts; the browser set-up in drivers.ts.
 */
import { defineEngineSpecs } from './engine-specs.ts'

defineEngineSpecs('webkit')
