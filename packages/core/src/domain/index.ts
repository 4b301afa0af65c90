export * from "./owner.ts"
export * from "./space.ts"
