export * from './dto/groups.dto';
export * from './groups.module';
export * from './groups.service';
