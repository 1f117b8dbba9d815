export * from './dto/groups.dto';
export * from './groups.errors';
export * from './groups.module';
export * from './groups.service';
