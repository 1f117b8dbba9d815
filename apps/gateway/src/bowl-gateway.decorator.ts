import { applyDecorators, UseFilters, UsePipes } from '@nestjs/common';
import { WebSocketGateway } from '@nestjs/websockets';
import { AppExceptionFilter, AppValidationPipe } from '@app/common';

/**
 * Every socket.io gateway of Bowl: the default namespace, the project's ValidationPipe and error
 * filter. (Nest 11's global pipes and filters do not reach gateways, hence the decorator.)
 */
export const BowlGateway = () =>
  applyDecorators(
    WebSocketGateway(),
    UsePipes(new AppValidationPipe()),
    UseFilters(new AppExceptionFilter()),
  );
