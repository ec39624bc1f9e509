/** Message parts: tools, reasoning, steps, files, notes for compactions, subtasks and synthetic parts (src/components/parts, src/render/parts.ts). */
export default {}
