using SlmGateway.RouterTraining;

return await RouterTrainingCli.RunAsync(args, Console.Out, Console.Error);
