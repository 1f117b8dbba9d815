export * from './database.module';
export * from './embedded';
export * from './migrate';
export * from './prisma.service';
export * from './redis';
export { Prisma } from './generated/prisma/client';
